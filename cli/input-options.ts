/**
 * The options every command that reads logs takes (`replay`, `discover`): the period, the S3
 * endpoint and the input bounds, declared and checked once.
 */
import { UsageError, wholeNumber, type CommandSpec, type OptionSpec, type ParsedCommand } from './args';
import { DEFAULT_INPUT_LIMITS, MAX_TEXT_MB, MB, type InputLimits } from './inputs';

/** The options' declarations, for a command's `options`. */
export const INPUT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  from: { type: 'string', value: 'YYYY-MM-DD', help: 'the first day to read (UTC, by CloudTrail\'s delivery folders and file names; S3 listings descend only into the days asked for)' },
  to: { type: 'string', value: 'YYYY-MM-DD', help: 'the last day to read (UTC, inclusive)' },
  's3-endpoint': { type: 'string', value: 'URL', help: 'an S3-compatible endpoint for s3:// inputs (path-style); default AWS\'s, or AWS_ENDPOINT_URL_S3' },
  's3-region': { type: 'string', value: 'REGION', help: 'the region of the first S3 request (S3 redirects to the bucket\'s); default the credential chain\'s' },
  'max-file-mb': { type: 'string', value: 'N', help: `the most a file read whole may hold, as read and inflated (default ${DEFAULT_INPUT_LIMITS.maxFileBytes / MB}, at most ${MAX_TEXT_MB})` },
  'max-line-mb': { type: 'string', value: 'N', help: `the longest line of JSON Lines (default ${DEFAULT_INPUT_LIMITS.maxLineBytes / MB}, at most ${MAX_TEXT_MB})` },
};

/** What the input options say, checked. */
export interface InputSettings {
  readonly paths: readonly string[];
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly s3Endpoint: string | undefined;
  readonly s3Region: string | undefined;
  readonly limits: InputLimits;
}

/**
 * The paths and input options of a parsed command line: at least one path, stdin once, days as
 * `YYYY-MM-DD` with `--from` not after `--to`, bounds in range; each mistake a {@link UsageError}.
 */
export function inputSettings(spec: CommandSpec, parsed: Pick<ParsedCommand, 'values' | 'positionals'>): InputSettings {
  const text = (name: string): string | undefined => (typeof parsed.values[name] === 'string' ? (parsed.values[name] as string) : undefined);
  const day = (name: string): string | undefined => {
    const v = text(name);
    if (v !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(v) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v)) throw new UsageError(`--${name} takes a day as YYYY-MM-DD (UTC), got ${JSON.stringify(v)}`, spec);
    return v;
  };
  // A document read whole and a line are each one string: V8 holds none longer.
  const megabytes = (name: string, fallback: number): number => {
    const v = text(name);
    return (v === undefined ? fallback : wholeNumber(name, v, 1, MAX_TEXT_MB)) * MB;
  };
  const paths = [...parsed.positionals];
  if (paths.length === 0) throw new UsageError(`${spec.name} needs at least one path (a file, a directory, - for stdin, or s3://bucket/prefix/)`, spec);
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('- (stdin) is given twice; it can be read once', spec);
  const from = day('from');
  const to = day('to');
  if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--from ${from} is after --to ${to}`, spec);
  return {
    paths,
    from,
    to,
    s3Endpoint: text('s3-endpoint'),
    s3Region: text('s3-region'),
    limits: { maxFileBytes: megabytes('max-file-mb', DEFAULT_INPUT_LIMITS.maxFileBytes / MB), maxLineBytes: megabytes('max-line-mb', DEFAULT_INPUT_LIMITS.maxLineBytes / MB) },
  };
}
