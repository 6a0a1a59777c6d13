/**
 * The `discover` command: its options, declared once for parsing and help (cli/args.ts), and
 * its run: where the proposal and its evidence go, and the exit code.
 */
import { writeFileSync } from 'node:fs';
import { commandHelp, parseCommand, wholeNumber, type CommandSpec } from '../args';
import { INPUT_OPTIONS, inputSettings } from '../input-options';
import { discover, type DiscoverResult } from '../discover';

/** The program's name in the help. */
const PROGRAM = 'assumerole-watch';

/** Exit codes of `discover`. */
export const DISCOVER_EXIT = {
  /** A proposal was made (and written). */
  proposed: 0,
  /** Usage error, unreadable input, no record read, or an internal error (the proposal, if any, is still written). */
  failed: 2,
  /** No outbound role in the logs: nothing proposed (the evidence says why). */
  noOutboundRole: 3,
} as const;

/** `discover`: a proposed configuration from a period of the bastion account's logs. */
export const DISCOVER_COMMAND: CommandSpec = {
  name: 'discover',
  summary: 'Reads a period of the bastion account\'s CloudTrail logs and proposes the detection keys (outbound roles, callers, addresses, regions, session names, thresholds), with the evidence for each.',
  operands: '<path|dir|-|s3://bucket/prefix/> ...',
  options: {
    out: { type: 'string', short: 'o', value: 'FILE', help: 'write the proposed configuration here (default stdout) and the evidence to FILE.evidence.md' },
    evidence: { type: 'string', value: 'FILE', help: 'write the evidence (Markdown) here instead (default FILE.evidence.md with --out, else not written)' },
    'window-minutes': { type: 'string', value: 'N', help: 'call-volume\'s window the volume is counted in (default 60; proposed as volumeWindowMinutes when not 60)' },
    'failed-window-minutes': { type: 'string', value: 'N', help: 'failed-assume\'s window denied calls are counted in (default 15)' },
    'learning-days': { type: 'string', value: 'N', help: 'the learning period the learned spikes are checked with (default 7)' },
    'no-backtest': { type: 'boolean', help: 'do not replay the proposal over the same logs (stdin never is: it is read once)' },
    ...INPUT_OPTIONS,
  },
  details: `Input: as replay reads it (CloudTrail log files in the S3 layout, JSON Lines, EventBridge events;
directories recursively; - for stdin). Two weeks or more of logs make a better proposal.
Values that look like an incident or a one-off are listed under "Left out — review" in the evidence,
never proposed. The summary goes to stderr.
Exit codes: 0 proposal written, 2 usage error, unreadable input, no record read, or an internal
error, 3 no outbound role found (nothing proposed; the evidence says why).`,
};

/** Where the command writes. */
export interface DiscoverIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs `discover` with its command-line arguments; resolves to the exit code. */
export async function runDiscover(args: readonly string[], io: DiscoverIo): Promise<number> {
  const spec = DISCOVER_COMMAND;
  const { values, positionals, help } = parseCommand(spec, args);
  if (help) {
    io.out(`${commandHelp(PROGRAM, spec)}\n`);
    return 0;
  }
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const number = (name: string, fallback: number, min = 1, max?: number): number => {
    const v = text(name);
    return v === undefined ? fallback : wholeNumber(name, v, min, max);
  };
  const input = inputSettings(spec, { values, positionals });
  const out = text('out');
  const result = await discover({
    paths: [...input.paths],
    limits: input.limits,
    from: input.from,
    to: input.to,
    s3Endpoint: input.s3Endpoint,
    s3Region: input.s3Region,
    volumeWindowMinutes: number('window-minutes', 60, 1, 1440),
    failedAssumeWindowMinutes: number('failed-window-minutes', 15, 1, 1440),
    learningPeriodDays: number('learning-days', 7, 0, 90),
    backtest: values['no-backtest'] !== true,
  });
  const evidenceFile = text('evidence') ?? (out !== undefined ? `${out}.evidence.md` : undefined);
  writeOutputs(result, out, evidenceFile, io);
  for (const line of result.summary) io.err(`${line}\n`);
  if (evidenceFile === undefined) io.err('discover: the evidence was not written: pass --out FILE (it goes to FILE.evidence.md) or --evidence FILE\n');
  return exitCode(result);
}

/** Writes the proposal (when there is one) and the evidence where they go. */
function writeOutputs(result: DiscoverResult, out: string | undefined, evidenceFile: string | undefined, io: DiscoverIo): void {
  if (result.outcome === 'proposed') {
    const json = `${JSON.stringify(result.config, null, 2)}\n`;
    if (out === undefined) io.out(json);
    else writeFileSync(out, json);
  }
  if (evidenceFile !== undefined) writeFileSync(evidenceFile, result.evidence);
}

/** The exit code of a run: see {@link DISCOVER_EXIT}. */
export function exitCode(result: DiscoverResult): number {
  if (result.unreadable.length > 0 || result.records === 0 || result.records === result.rejected) return DISCOVER_EXIT.failed;
  return result.outcome === 'proposed' ? DISCOVER_EXIT.proposed : DISCOVER_EXIT.noOutboundRole;
}
