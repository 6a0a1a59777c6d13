/** The `generate` command: argument parsing and the entry point. */
import { writeCorpus } from './corpus';
import { DEFAULT_OPTIONS, resolveOptions, type GenerateOptions } from './options';
import { ACCOUNT } from './scenario';

const USAGE = `usage: generate <outDir> [--days N] [--customers N] [--seed N] [--start ISO] [--no-incidents] [--records N]

Writes deterministic CloudTrail logs of the scenario's bastion account (${ACCOUNT}) in the S3
layout, with config.json, labels.json and customer-registry.jsonl. Defaults: --start ${DEFAULT_OPTIONS.start} --days ${DEFAULT_OPTIONS.days}
--customers ${DEFAULT_OPTIONS.customers} --seed ${DEFAULT_OPTIONS.seed}. --records N stops after N records (days
unbounded unless --days is given), for benchmarks.`;

/** Parses `generate` arguments; throws with a usage message on bad input. */
export function parseArgs(argv: readonly string[]): { outDir: string; options: GenerateOptions } {
  const args = argv[0] === 'generate' ? argv.slice(1) : [...argv];
  let outDir: string | undefined;
  const options: { -readonly [K in keyof GenerateOptions]: GenerateOptions[K] } = {};
  const int = (flag: string, value: string | undefined): number => {
    if (value === undefined || !/^-?\d+$/.test(value)) throw new Error(`${flag} needs an integer, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    return Number(value);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--days': options.days = int(flag, value()); break;
      case '--customers': options.customers = int(flag, value()); break;
      case '--seed': options.seed = int(flag, value()); break;
      case '--records': options.maxRecords = int(flag, value()); break;
      case '--start': {
        const v = value();
        if (v === undefined) throw new Error('--start needs an ISO 8601 time');
        options.start = v;
        break;
      }
      case '--no-incidents': options.incidents = false; break;
      default:
        if (flag.startsWith('-')) throw new Error(`unknown option ${flag}`);
        if (outDir !== undefined) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
        outDir = arg;
    }
  }
  if (outDir === undefined) throw new Error('missing <outDir>');
  return { outDir, options };
}

/** CLI entry: `generate <outDir> [...]`. Prints a summary to stderr; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs(argv);
    resolveOptions(parsed.options);
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\n${USAGE}\n`);
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
