/**
 * The command line a security engineer expects: help on every command, a version, the option a
 * typo meant, colours only on a terminal, and exit codes that tell the truth about the input.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main, programHelp, REPLAY_COMMAND, type Io } from '../cli/main';
import { commandHelp } from '../cli/args';
import { DISCOVER_COMMAND } from '../cli/discover/command';
import { GENERATE_COMMAND } from '../cli/generate/command';
import { blockBody } from '../scripts/gen-docs';
import { iamUser, intoOutbound, outboundSession } from './support/case-records';
import { cli, tempDir, writeConfig } from './support/cli';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs the CLI as if stdout were a terminal. */
async function onTerminal(argv: readonly string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: Io = { out: (t) => void (out += t), err: () => undefined, errIsTty: false, outIsTty: true };
  return { code: await main(argv, io), out };
}

/** A log file with one human assuming the outbound role (one high alert), in a fresh folder. */
function oneAlert(): { dir: string; file: string } {
  const dir = tempDir('arw-cli-');
  const file = join(dir, 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: [intoOutbound({ time: '2026-10-07T09:00:00Z', caller: iamUser('alice'), sessionName: 'alice', userAgent: 'aws-cli/2.15.30 Python/3.11.8' })] }));
  return { dir, file };
}

describe('help and version', () => {
  it.each([[['--help']], [['-h']], [['help']]])('prints the commands for %j and exits 0', async (argv) => {
    const { code, out } = await cli(argv);
    expect(code).toBe(0);
    expect(out).toBe(`${programHelp()}\n`);
  });

  it.each([
    [['replay', '--help'], REPLAY_COMMAND],
    [['replay', '-h'], REPLAY_COMMAND],
    [['help', 'replay'], REPLAY_COMMAND],
    [['generate', '--help'], GENERATE_COMMAND],
    [['discover', '--help'], DISCOVER_COMMAND],
  ])('prints the command\'s options for %j and exits 0', async (argv, spec) => {
    const { code, out } = await cli(argv);
    expect(code).toBe(0);
    expect(out).toBe(`${commandHelp('assumerole-watch', spec)}\n`);
    for (const name of Object.keys(spec.options)) expect(out).toContain(`--${name}`);
  });

  it.each([[['--version']], [['-V']]])('prints the package version for %j', async (argv) => {
    const { code, out } = await cli(argv);
    expect(code).toBe(0);
    expect(out).toBe(`assumerole-watch ${pkg.version}\n`);
  });

  it('has a README whose command-line section is what --help prints, and a replay page with every option', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(blockBody(readme, 'cli-help')).toBe(['```text', (await cli(['--help'])).out.trimEnd(), '```'].join('\n'));
    const page = readFileSync(join(ROOT, 'docs', 'replay.md'), 'utf8');
    expect(blockBody(page, 'replay-help')).toContain((await cli(['replay', '--help'])).out.trimEnd());
  });
});

describe('usage errors', () => {
  it.each([
    [['replay', 'x', '--confg', 'c.json'], 'unknown option --confg (did you mean --config?)'],
    [['replay', 'x', '--bach-size', '5'], 'unknown option --bach-size (did you mean --batch-size?)'],
    [['replay', 'x', '--format', 'ocfs'], '--format takes text, json, ocsf, asff, got "ocfs" (did you mean ocsf?)'],
    [['replay', 'x', '--config'], '--config needs a value'],
    [['replay', 'x', '--json', '--format', 'ocsf'], '--json and --format ocsf disagree'],
    [['replay', '-', '-'], '- (stdin) is given twice; it can be read once'],
    [['replya'], 'unknown command "replya" (did you mean replay?)'],
    [['replay', 'x', '--from', '2026-02-30'], '--from takes a day as YYYY-MM-DD (UTC), got "2026-02-30"'],
    [['replay', 'x', '--from', '2026-11-02', '--to', '2026-11-01'], '--from 2026-11-02 is after --to 2026-11-01'],
    [['generate', 'out', '--dayz', '3'], 'unknown option --dayz (did you mean --days?)'],
    [['generate'], 'missing <outDir>'],
  ])('exits 2 on %j, naming the mistake and the usage', async (argv, message) => {
    const { code, err } = await cli(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err).toMatch(/usage: assumerole-watch/);
  });

  it('refuses a cdk.json whose context holds a key neither ours nor CDK\'s, as cdk synth does', async () => {
    const dir = tempDir('arw-cli-');
    const cdkJson = join(dir, 'cdk.json');
    writeFileSync(cdkJson, JSON.stringify({ app: 'x', context: { monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'], alertEmail: 'soc@example.com', '@aws-cdk/core:newStyleStackSynthesis': true } }));
    writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: [outboundSession().first] }));
    const { code, err } = await cli(['replay', join(dir, 'trail.json'), '--config', cdkJson]);
    expect(code).toBe(2);
    expect(err).toContain(`${cdkJson}: alertEmail: unknown key (did you mean "alertEmails"?)`);
  });
});

describe('exit codes that tell the truth about the input', () => {
  it('exits 2 when no record could be read', async () => {
    const dir = tempDir('arw-cli-');
    mkdirSync(join(dir, 'logs'));
    const { code, err } = await cli(['replay', join(dir, 'logs'), '--config', writeConfig(dir)]);
    expect(code).toBe(2);
    expect(err).toContain('no CloudTrail record was read from 0 files: nothing was replayed');
  });

  it('exits 2 when every record was rejected (records of CloudTrail\'s shape with no time at all)', async () => {
    const dir = tempDir('arw-cli-');
    const file = join(dir, 'export.jsonl');
    const timeless = (id: string): string => JSON.stringify({ eventVersion: '1.08', eventID: id, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', awsRegion: 'eu-west-1' });
    writeFileSync(file, `${timeless('a')}\n${timeless('b')}\n`);
    const { code, err } = await cli(['replay', file, '--config', writeConfig(dir)]);
    expect(code).toBe(2);
    expect(err).toContain('every one of the 2 records was rejected');
  });

  it('warns when monitoredRoleArns matched no record, and exits 2 with --strict', async () => {
    const { dir, file } = oneAlert();
    const other = writeConfig(dir, { monitoredRoleArns: ['arn:aws:iam::999999999999:role/outbound-*'] });
    const plain = await cli(['replay', file, '--config', other]);
    expect(plain.code).toBe(0);
    expect(plain.err).toContain('warning: monitoredRoleArns matched no record');
    const strict = await cli(['replay', file, '--config', other, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.err).not.toContain('warning:');
  });
});

describe('the HTML report', () => {
  it('is written by --report, self-contained, and named in the summary', async () => {
    const { dir, file } = oneAlert();
    const page = join(dir, 'report.html');
    const { code, err } = await cli(['replay', file, '--config', writeConfig(dir), '--report', page]);
    expect(code).toBe(1);
    expect(err).toMatch(new RegExp(`report: ${page.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ KB\\)`));
    const html = readFileSync(page, 'utf8');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/\s(src|href)=/);
  });

  it('refuses a report in a folder that does not exist before replaying anything', async () => {
    const { dir, file } = oneAlert();
    const { code, err } = await cli(['replay', file, '--config', writeConfig(dir), '--report', join(dir, 'missing', 'r.html')]);
    expect(code).toBe(2);
    expect(err).toContain('--report: the folder of');
    expect(err).not.toContain('replayed');
  });
});

describe('colours', () => {
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  it('marks the severity on a terminal, and nowhere else', async () => {
    const { dir, file } = oneAlert();
    const config = writeConfig(dir);
    delete process.env.NO_COLOR;
    const terminal = await onTerminal(['replay', file, '--config', config]);
    expect(terminal.code).toBe(1);
    expect(terminal.out).toContain('\x1b[31mHIGH\x1b[0m');
    const piped = await cli(['replay', file, '--config', config]);
    expect(piped.out).not.toContain('\x1b[');
  });

  it('respects NO_COLOR', async () => {
    const { dir, file } = oneAlert();
    process.env.NO_COLOR = '1';
    const { out } = await onTerminal(['replay', file, '--config', writeConfig(dir)]);
    expect(out).not.toContain('\x1b[');
  });
});
