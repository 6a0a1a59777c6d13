/** The `generate` command: argument parsing and the entry point. */
import { writeCorpus } from './corpus';
import { parseCommand, usageLine, UsageError } from '../args';
import { GENERATE_COMMAND } from './command';
import { DEFAULT_OPTIONS, resolveOptions, type GenerateOptions } from './options';

/** Parses `generate` arguments; throws a {@link UsageError} naming what is wrong. */
export function parseArgs(argv: readonly string[]): { outDir: string; options: GenerateOptions } {
  const args = argv[0] === 'generate' ? argv.slice(1) : [...argv];
  const { values, positionals } = parseCommand(GENERATE_COMMAND, args);
  const options: { -readonly [K in keyof GenerateOptions]: GenerateOptions[K] } = {};
  const int = (flag: string): number | undefined => {
    const value = values[flag];
    if (typeof value !== 'string') return undefined;
    if (!/^-?\d+$/.test(value)) throw new UsageError(`--${flag} needs an integer, got ${JSON.stringify(value)}`, GENERATE_COMMAND);
    return Number(value);
  };
  const set = <K extends keyof GenerateOptions>(key: K, value: GenerateOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('days', int('days'));
  set('customers', int('customers'));
  set('seed', int('seed'));
  set('start', typeof values.start === 'string' ? values.start : undefined);
  if (values['no-incidents'] === true) options.incidents = false;
  set('maxRecords', int('records'));
  if (positionals.length === 0) throw new UsageError('missing <outDir>', GENERATE_COMMAND);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, GENERATE_COMMAND);
  return { outDir: positionals[0]!, options };
}

/** CLI entry: `generate <outDir> [...]`. Prints a summary to stderr; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
    resolveOptions(parsed.options);
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\nusage: ${usageLine('assumerole-watch', GENERATE_COMMAND)}\n`);
    return 2;
  }
  const s = await writeCorpus(parsed.outDir, parsed.options);
  const regions = Object.entries(s.recordsByRegion).map(([r, n]) => `${r} ${n}`).join(', ');
  process.stderr.write(
    `generate: ${s.files} files, ${s.records} records (${regions}), ${(s.bytes / 1024).toFixed(0)} KiB gzip, ` +
      `${s.labels.length} incidents, ${s.start} to ${s.end}, seed ${parsed.options.seed ?? DEFAULT_OPTIONS.seed} -> ${s.outDir}\n` +
      (s.note ? `generate: note: ${s.note}\n` : ''),
  );
  return 0;
}
