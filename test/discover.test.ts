/**
 * `discover`: a month of a vendor's traffic without incidents in, a configuration out; then the
 * same vendor's month with the sixteen incidents, replayed with that configuration as it is.
 * Vendor identity follows the seed (the generator's world: accounts, roles, external IDs), and
 * the benign traffic is the same with or without incidents (the calendar keeps the incident day
 * quiet either way), so the second month is the first one with the incidents added. The months
 * are read as JSON Lines: the same records as the S3 layout's 8,000 gzip files, written in a
 * quarter of the time (the S3 layout is read by test/examples and the replay tests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, type DiscoverResult } from '../cli/discover';
import { blocksOf, classify } from '../cli/discover/addresses';
import { DISCOVER_COMMAND, runDiscover } from '../cli/discover/command';
import { addName, regexOf, shapeKeyOf, type NameShape } from '../cli/discover/names';
import { Seen } from '../cli/discover/seen';
import { generateCorpus, SCENARIO, type CloudTrailRecord, type CorpusSummary, type GenerateOptions, type IncidentLabel } from '../cli/generate';
import { main, readConfig } from '../cli/main';
import { replay } from '../cli/replay';
import { loadConfig } from '../lambdas/core/config';
import { wholeNameMatcher } from '../lambdas/core/name-patterns';
import { parseCidr, parseIp, cidrContains } from '../lambdas/core/ip';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';

jest.setTimeout(120_000);

/** A month: the learned spikes are replayed after the learning period, weekly work is seen four times. */
const DAYS = 30;
const CUSTOMERS = 40;
const SEED = 7;

const dir = mkdtempSync(join(tmpdir(), 'arw-discover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The generated logs are dated by the scenario, not today: the clock bounding "the future" is the corpus's. */
const wallClock = (summary: { end: string }): { now: () => number } => ({ now: () => Date.parse(summary.end) + 86_400_000 });

/** A generated corpus written as JSON Lines (one file reads faster than a month of 8,000 gzip log files). */
interface Corpus {
  readonly file: string;
  readonly records: readonly CloudTrailRecord[];
  readonly summary: CorpusSummary;
}

function generate(name: string, options: GenerateOptions): Corpus {
  const records: CloudTrailRecord[] = [];
  const gen = generateCorpus(options);
  let step = gen.next();
  for (; !step.done; step = gen.next()) records.push(step.value);
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return { file, records, summary: step.value };
}

let benign: Corpus;
let incidents: Corpus;
let proposal: DiscoverResult;
let configFile: string;
/** The benign month's first day alone. */
let firstDay: string;

beforeAll(async () => {
  benign = generate('benign', { days: DAYS, customers: CUSTOMERS, seed: SEED, incidents: false });
  incidents = generate('incidents', { days: DAYS, customers: CUSTOMERS, seed: SEED });
  firstDay = join(dir, 'first-day.jsonl');
  const dayOne = benign.records.filter((r) => r.eventTime < '2026-10-06');
  writeFileSync(firstDay, `${dayOne.map((r) => JSON.stringify(r)).join('\n')}\n`);
  proposal = await discover({ paths: [benign.file], wallClock: wallClock(benign.summary) });
  configFile = join(dir, 'proposed.json');
  writeFileSync(configFile, `${JSON.stringify(proposal.config, null, 2)}\n`);
});

describe(`discover on a month (${DAYS} days, ${CUSTOMERS} customers) of a vendor's traffic without incidents`, () => {
  it('proposes the outbound roles, by the wildcard their names share', () => {
    // Given the benign month; when discover has read it; then both regional outbound roles are monitored
    const config = loadConfig(proposal.config);
    expect(proposal.outcome).toBe('proposed');
    expect(proposal.config.monitoredRoleArns).toEqual([SCENARIO.monitoredRolePattern]);
    for (const arn of Object.values(SCENARIO.outboundRoleArns)) expect(config.isMonitoredRole(arn)).toBe(true);
    expect(config.isMonitoredRole(SCENARIO.backendRoleArn)).toBe(false);
  });

  it('proposes the backend\'s task roles, before and after the deploy that renamed it, as the expected callers', () => {
    expect([...(proposal.config.expectedCallerArns as string[])].sort()).toEqual([SCENARIO.backendRoleArn, SCENARIO.backendV2RoleArn].sort());
  });

  it('proposes every NAT address as a /32 and the dual-stack tasks\' subnet as a /64, grouped by region', () => {
    const groups = proposal.config.allowedCidrs as Record<string, string[]>;
    expect(Object.keys(groups).sort()).toEqual(['aws-eu-west-1', 'aws-us-east-1']);
    expect(groups['aws-eu-west-1']!.sort()).toEqual(SCENARIO.natGroups['eu-west-1'].eips.map((ip) => `${ip}/32`).sort());
    const us = groups['aws-us-east-1']!;
    for (const ip of [...SCENARIO.natGroups['us-east-1'].eips, SCENARIO.movedNat.eip]) expect(us).toContain(`${ip}/32`);
    const v6 = us.filter((c) => c.includes(':'));
    expect(v6).toHaveLength(1);
    expect(v6[0]).toMatch(/\/64$/);
    expect(cidrContains(parseCidr(SCENARIO.natGroups['us-east-1'].ipv6!)!, parseIp(v6[0]!.split('/')[0]!)!)).toBe(true);
  });

  it('pins each regional role to its region, and proposes a session-name pattern that takes the backend\'s names only', () => {
    expect(proposal.config.roleRegions).toEqual({ [SCENARIO.outboundRoleArns['eu-west-1']]: ['eu-west-1'], [SCENARIO.outboundRoleArns['us-east-1']]: ['us-east-1'] });
    const pattern = wholeNameMatcher(proposal.config.sessionNamePattern as string, 64);
    expect(pattern.test('sync-1791158684')).toBe(true);
    expect(pattern.test('aws-sdk-js-1722511821294')).toBe(false);
    expect(pattern.test('alice')).toBe(false);
  });

  it('requires an external ID, which every cross-account assumption carried', () => {
    expect(proposal.config.requireExternalId).toBe(true);
  });

  it('states the volume thresholds with their margin over the observed peak', () => {
    expect(proposal.evidence).toContain('every threshold is 1.5× the most the normal traffic reached, rounded up');
    expect(proposal.evidence).toMatch(/\| `volumeMaxCalls` \| \d+ \| busiest sliding window: [\d.]+ calls \|/);
    expect(proposal.config.volumeMaxCalls).toBeGreaterThan(100);
    expect(proposal.config.failedAssumeDailyMaxCalls).toBeGreaterThanOrEqual(10);
  });

  it('leaves nothing out of a month without incidents', () => {
    expect(proposal.evidence).toContain('_nothing: every value seen went into the proposal');
  });

  it('keeps the normal traffic quiet: the back-test raises only the re-installed customers\' external-ID changes', () => {
    // Without a customer registry, a re-install's new external ID is a change the engine cannot
    // tell from a foreign one (external-id, medium); the evidence says so.
    expect(proposal.backtest).toEqual({ alerts: 4, byDetector: { 'external-id': 4 } });
    expect(proposal.evidence).toContain('Accounts whose external ID changed in the period');
  });

  it('writes a configuration that loadConfig accepts and replay --config reads', async () => {
    // Given the proposal written to a file; when replay reads it as --config over a day of the logs
    const err: string[] = [];
    const code = await main(['replay', firstDay, '--config', configFile], { out: () => undefined, err: (t) => void err.push(t), errIsTty: false });
    // Then the configuration is taken as it is, and the day replays with no alert
    expect(() => readConfig(configFile)).not.toThrow();
    expect(err.join('')).not.toMatch(/invalid configuration|unknown key/);
    expect(code).toBe(0);
  });
});

/** Every incident discover's configuration can catch: all but the one that needs the customer registry. */
const INCIDENT_IDS = [
  '01-human-principal', '02-unexpected-caller', '03-source-ip', '04-session-locations', '05-call-volume', '06-session-name',
  '07-external-id-missing', '08-external-id-tenant-confusion', '09-failed-assume', '10-region', '11-target-role-pivot',
  '12-session-request', '13-client', '14-failed-assume-slow', '15-source-ip-outside-only',
];

describe('the discovered configuration, replayed as it is over the same vendor\'s month with the sixteen incidents', () => {
  let alerts: Alert[];
  let labels: IncidentLabel[];
  let records: number;
  beforeAll(async () => {
    labels = [...incidents.summary.labels];
    alerts = [];
    const report = await replay({ paths: [incidents.file], config: readConfig(configFile), ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, onAlert: (a) => alerts.push(a), wallClock: wallClock(incidents.summary) });
    records = report.records;
  });
  const alertedBy = (label: IncidentLabel): string[] => alerts.filter((a) => a.evidence.eventIds.some((id) => label.eventIds.includes(id))).map((a) => a.detector);

  it('holds the sixteen incidents', () => {
    expect(labels).toHaveLength(16);
  });

  it.each(INCIDENT_IDS.map((id) => [id] as const))('alerts incident %s once, from its detector', (id) => {
    const label = labels.find((l) => l.id === id)!;
    expect(alertedBy(label)).toEqual([label.detector]);
  });

  it('cannot see the ex-trial account, which only the customer registry tells from an onboarding (no log can)', () => {
    // discover proposes from logs; the registry is the vendor's onboarding system's export.
    const label = labels.find((l) => l.requires === 'customerRegistry')!;
    expect(label.id).toBe('16-target-role-unregistered');
    expect(alertedBy(label).filter((d) => d !== label.detector)).toEqual([]);
  });

  it('raises at most one false alert per 10,000 benign records', () => {
    const labelled = new Set(labels.flatMap((l) => l.eventIds));
    const benignRecords = records - labelled.size;
    const unexplained = alerts.filter((a) => !a.evidence.eventIds.some((id) => labelled.has(id)));
    expect(unexplained.length).toBeLessThanOrEqual(Math.floor(benignRecords / 10_000));
    // And they are the re-installs' external-ID changes, which the back-test showed already.
    expect(unexplained.map((a) => [a.detector, a.evidence.details.problem])).toEqual(unexplained.map(() => ['external-id', 'changed']));
  });
});

describe('discover on a period with incidents', () => {
  let withIncidents: DiscoverResult;
  let leftOut: string;
  beforeAll(async () => {
    withIncidents = await discover({ paths: [incidents.file], wallClock: wallClock(incidents.summary), backtest: false });
    leftOut = withIncidents.evidence.slice(withIncidents.evidence.indexOf('## Left out — review'), withIncidents.evidence.indexOf('## Monitored roles'));
  });
  const config = (): string => JSON.stringify(withIncidents.config);

  it('lists the IAM user who assumed the outbound role under "Left out — review", and not as a caller', () => {
    expect(leftOut).toMatch(/\| caller \| `arn:aws:iam::210987654321:user\/alice` \| a person: IAM user/);
    expect(config()).not.toContain('user/alice');
  });

  it('lists the one-off caller (the report-exporter Lambda\'s role) under "Left out", and not as a caller', () => {
    expect(leftOut).toMatch(/\| caller \| `arn:aws:iam::210987654321:role\/report-exporter` \| a one-off caller/);
    expect(config()).not.toContain('report-exporter');
  });

  it('lists every address outside AWS under "Left out", and allows none of them', () => {
    for (const ip of [SCENARIO.attackerIp, SCENARIO.foreignIp, SCENARIO.outsiderIp]) {
      expect(leftOut).toContain(`| address | \`${ip}\` | not an AWS address`);
      expect(config()).not.toContain(ip);
    }
  });

  it('lists the rare session name, the one-off region, the burst and the probing, and proposes the usual values still', () => {
    expect(leftOut).toContain('`aws-sdk-js-1722511821294`');
    expect(leftOut).toContain('`"us-east-1 (outbound-eu)"`');
    expect(leftOut).toMatch(/\| burst \| `"6\d\d calls by outbound-eu/);
    expect(leftOut).toMatch(/\| probing \| `"outbound-eu on /);
    expect(withIncidents.config.sessionNamePattern).toBe(proposal.config.sessionNamePattern);
    expect(withIncidents.config.roleRegions).toEqual(proposal.config.roleRegions);
    expect(withIncidents.config.volumeMaxCalls).toBe(proposal.config.volumeMaxCalls);
  });

  it('proposes requireExternalId false when an assumption carried none, and says which', () => {
    expect(withIncidents.config.requireExternalId).toBe(false);
    expect(leftOut).toContain('| assumption without external ID |');
  });

  it('lists the external ID sent to another customer\'s account once (tenant confusion)', () => {
    expect(leftOut).toContain('| external ID of another account |');
  });
});

describe('discover on logs without an outbound role', () => {
  it('says so, and proposes nothing', async () => {
    // Given two days of the bastion account's logs with every call into or out of the outbound roles removed
    const outbound = Object.values(SCENARIO.outboundRoleArns) as string[];
    const touches = (r: CloudTrailRecord): boolean => JSON.stringify([r.requestParameters, (r.userIdentity as { sessionContext?: unknown }).sessionContext]).includes(':role/outbound-');
    const kept: CloudTrailRecord[] = [];
    for (const r of generateCorpus({ days: 2, customers: 10, seed: SEED, incidents: false })) if (!touches(r)) kept.push(r);
    expect(kept.some((r) => outbound.some((arn) => JSON.stringify(r).includes(arn)))).toBe(false);
    const file = join(dir, 'no-outbound.jsonl');
    writeFileSync(file, `${kept.map((r) => JSON.stringify(r)).join('\n')}\n`);
    // When discover reads them
    const result = await discover({ paths: [file], wallClock: { now: () => Date.parse('2026-10-08T00:00:00Z') } });
    // Then there is no proposal, and the reason is given
    expect(result.outcome).toBe('no-outbound-role');
    expect(result.config).toEqual({});
    expect(result.evidence).toMatch(/^# assumerole-watch discover: no proposal\n\nNo outbound integration role was found, so nothing is proposed: no role session assumed a role in another account in \d+ AssumeRole calls\./);
    expect(result.summary.join('\n')).toContain('no outbound role found, nothing proposed');
  });

  it('exits 3 from the command line and writes no configuration', async () => {
    const file = join(dir, 'no-outbound.jsonl');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDiscover([file, '--evidence', join(dir, 'no-outbound.md')], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(code).toBe(3);
    expect(out).toEqual([]);
    expect(readFileSync(join(dir, 'no-outbound.md'), 'utf8')).toContain('No outbound integration role was found');
  });
});

describe('the discover command', () => {
  it('writes the proposal to --out and the evidence beside it, and exits 0', async () => {
    const out = join(dir, 'cli.json');
    const err: string[] = [];
    const code = await runDiscover([firstDay, '--out', out, '--no-backtest'], { out: () => undefined, err: (t) => void err.push(t) });
    expect(code).toBe(0);
    expect(() => loadConfig(JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>)).not.toThrow();
    expect(readFileSync(`${out}.evidence.md`, 'utf8')).toMatch(/^# assumerole-watch discover: a proposed configuration/);
    expect(err.join('')).toMatch(/^discover: read /);
  });

  it('declares its options once, for parsing and help', () => {
    expect(Object.keys(DISCOVER_COMMAND.options)).toEqual(expect.arrayContaining(['out', 'evidence', 'no-backtest', 'window-minutes']));
  });
});

describe('the evidence', () => {
  it('shows a caller\'s crafted user agent and session name as text: no link, no new cell', async () => {
    // Given a person who assumed the outbound role with a user agent and a session name made to break the table
    const records = [...generateCorpus({ days: 3, customers: 10, seed: SEED, incidents: false })];
    const into = records.find((r) => r.eventName === 'AssumeRole' && (r.requestParameters as { roleArn?: string } | null)?.roleArn === SCENARIO.outboundRoleArns['eu-west-1'])!;
    const crafted = JSON.parse(JSON.stringify(into)) as Record<string, any>;
    crafted.eventID = '00000000-0000-4000-8000-000000000001';
    crafted.userIdentity = { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${SCENARIO.account}:user/mallory`, accountId: SCENARIO.account, accessKeyId: 'AKIAEXAMPLE', userName: 'mallory' };
    // Its first word is what human-principal quotes as the interactive tool.
    crafted.userAgent = 'aws-cli/2.15[sign-in-again](https://evil.example/login)|x';
    crafted.requestParameters.roleSessionName = 'a|b`c[x](http://e.vil)';
    const file = join(dir, 'crafted.jsonl');
    writeFileSync(file, `${[...records, crafted].map((r) => JSON.stringify(r)).join('\n')}\n`);
    // When discover reads them
    const result = await discover({ paths: [file], wallClock: { now: () => Date.parse('2026-10-09T00:00:00Z') }, backtest: false });
    // Then the person is left out, in one row of the table's width, with the link inert
    const row = result.evidence.split('\n').find((l) => l.includes('user/mallory') && l.startsWith('| caller |'))!;
    expect(row).toContain('interactive tool');
    expect(row.split(/(?<!\\)\|/)).toHaveLength(9);
    // Outside code spans (which show their text as it is), no link survives.
    expect(result.evidence.replace(/`[^`\n]*`/g, '')).not.toMatch(/\]\(https?:/);
    expect(JSON.stringify(result.config)).not.toContain('mallory');
  });
});

describe('address blocks', () => {
  const use = (...ips: string[]): ReturnType<typeof classify>[] =>
    ips.map((text) => {
      const seen = new Seen();
      seen.add(Date.UTC(2026, 9, 5));
      return classify({ text, seen, regions: new Set(['eu-west-1']), uses: new Set(['into outbound']) });
    });

  it('keeps two NAT addresses of one /24 apart as /32s: most of the block between them was never seen', () => {
    expect(blocksOf(use('54.247.81.112', '54.247.81.200')).map((b) => b.cidr)).toEqual(['54.247.81.112/32', '54.247.81.200/32']);
  });

  it('joins neighbours into the smallest block of which at least half was seen', () => {
    expect(blocksOf(use('54.247.81.112', '54.247.81.113', '54.247.81.114')).map((b) => b.cidr)).toEqual(['54.247.81.112/30']);
  });

  it('never goes wider than a /24 for addresses spread over two', () => {
    expect(blocksOf(use('54.247.81.1', '54.247.82.1')).map((b) => b.cidr)).toEqual(['54.247.81.1/32', '54.247.82.1/32']);
  });

  it('names each block\'s group by the AWS region of its range, and makes no block of an address outside AWS', () => {
    const blocks = blocksOf(use('54.247.81.112', '54.221.176.58', '185.220.101.47'));
    expect(blocks.map((b) => [b.group, b.cidr])).toEqual([['aws-eu-west-1', '54.247.81.112/32'], ['aws-us-east-1', '54.221.176.58/32']]);
  });

  it('folds IPv6 addresses into their /64', () => {
    expect(blocksOf(use('2600:1f18:6f2:8c1a:1:2:3:4', '2600:1f18:6f2:8c1a:5:6:7:8')).map((b) => b.cidr)).toEqual(['2600:1f18:6f2:8c1a::/64']);
  });
});

describe('session-name patterns', () => {
  const shapeOf = (...names: string[]): NameShape => {
    const shape: NameShape = { key: shapeKeyOf(names[0]!), tokens: null, seen: new Seen(), examples: [] };
    for (const n of names) addName(shape, n, 0);
    return shape;
  };

  it('keeps a number\'s class and length: epoch seconds stay ten digits', () => {
    const regex = regexOf(shapeOf('sync-1791158684', 'sync-1791158691'))!;
    expect(regex).toBe('sync-[0-9]{10}');
    expect(wholeNameMatcher(regex, 64).test('sync-17911586840')).toBe(false);
  });

  it('takes hex as hex, and lets a counter grow a digit', () => {
    expect(regexOf(shapeOf('backend-aaea4c15', 'backend-9fd0e54e'))).toBe('backend-[0-9a-f]{8}');
    expect(regexOf(shapeOf('job-7', 'job-42'))).toBe('job-[0-9]{1,3}');
  });

  it('escapes what RE2 would read as syntax, and makes no pattern of an e-mail address', () => {
    expect(regexOf(shapeOf('a.b+c-1'))).toBe('a\\.b\\+c-[0-9]{1}');
    expect(regexOf(shapeOf('maria.garcia@vendor.example'))).toBeNull();
  });
});
