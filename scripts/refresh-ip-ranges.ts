// Refreshes data/aws-ip-ranges.json from AWS's live ip-ranges.json.
//
//   npx tsx scripts/refresh-ip-ranges.ts [--url URL | --file PATH] [--out data/aws-ip-ranges.json]
//
// The bytes are stored exactly as AWS serves them so the sha256 recorded in
// data/README.md can be checked against the live file. Exit code 1 on any
// failure, with the current file left untouched.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AwsIpRanges, indexPathOf } from '../lambdas/core/aws-ip-ranges';

const DEFAULT_URL = 'https://ip-ranges.amazonaws.com/ip-ranges.json';
const DEFAULT_OUT = path.resolve(__dirname, '..', 'data', 'aws-ip-ranges.json');
const TIMEOUT_MS = 30_000;

const USAGE = `usage: npx tsx scripts/refresh-ip-ranges.ts [--url URL | --file PATH] [--out PATH]

  --url URL    download from URL (default ${DEFAULT_URL})
  --file PATH  install a copy downloaded by other means (for machines without internet access)
  --out PATH   file to replace (default ${path.relative(process.cwd(), DEFAULT_OUT) || DEFAULT_OUT})`;

/** Expected failures: printed without a stack trace. */
class UserError extends Error {}

interface Options {
  url: string;
  file?: string;
  out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { url: DEFAULT_URL, out: DEFAULT_OUT };
  let urlGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (name !== '--url' && name !== '--file' && name !== '--out') throw new UserError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new UserError(`${name} needs a value\n${USAGE}`);
    if (name === '--url') {
      opts.url = value;
      urlGiven = true;
    } else if (name === '--file') {
      opts.file = path.resolve(value);
    } else {
      opts.out = path.resolve(value);
    }
  }
  if (urlGiven && opts.file !== undefined) throw new UserError('--url and --file are mutually exclusive');
  return opts;
}

/** Node's fetch hides the useful part (DNS/TCP/TLS error code) in err.cause. */
function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no complete response within ${TIMEOUT_MS / 1000} s`;
  const cause = e.cause;
  if (cause?.message) return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
  if (cause?.code) return cause.code;
  return e.message ?? String(err);
}

async function download(url: string): Promise<Buffer> {
  let res: Response;
  try {
    // One signal covers connecting and reading the body, so a stalled transfer also times out.
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    res = await fetch(url, { signal, headers: { 'user-agent': 'assumerole-watch refresh-ip-ranges' } });
    if (!res.ok) throw new UserError(`GET ${url} returned HTTP ${res.status} ${res.statusText}`);
    return Buffer.from(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `could not download ${url}: ${describeFetchError(err)}\n` +
        '  Is this machine online? Node\'s built-in fetch does not use HTTP(S)_PROXY settings.\n' +
        '  Without direct internet access, download the file elsewhere and run with --file PATH.',
    );
  }
}

function parseRanges(bytes: Buffer, source: string): AwsIpRanges {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new UserError(`${source} is not JSON (${(err as Error).message}); first bytes: ${JSON.stringify(bytes.subarray(0, 80).toString('utf8'))}`);
  }
  try {
    return AwsIpRanges.fromJson(doc);
  } catch (err) {
    throw new UserError(`${source} is not a valid ip-ranges document: ${(err as Error).message}`);
  }
}

/** Current file, if present and valid; an unreadable one must not block a refresh, so it only warns. */
function readCurrent(out: string): { ranges: AwsIpRanges; bytes: Buffer } | undefined {
  if (!fs.existsSync(out)) return undefined;
  const bytes = fs.readFileSync(out);
  try {
    return { ranges: parseRanges(bytes, out), bytes };
  } catch (err) {
    console.warn(`warning: current ${out} is unusable and will be replaced: ${(err as Error).message}`);
    return undefined;
  }
}

/** tmp + fsync + rename in the same directory, so readers see either the old or the new file, never half of one. */
function writeAtomically(out: string, bytes: Buffer): void {
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`could not write ${out}: ${(err as Error).message}`);
  }
}

function summarise(r: AwsIpRanges | undefined): string[] {
  if (!r) return ['(none)', '(none)', '(none)', '(none)'];
  return [r.syncToken, r.createDate, r.ipv4PrefixCount.toLocaleString('en-US'), r.ipv6PrefixCount.toLocaleString('en-US')];
}

function printComparison(oldR: AwsIpRanges | undefined, newR: AwsIpRanges): void {
  const labels = ['syncToken', 'createDate', 'IPv4 prefixes', 'IPv6 prefixes'];
  const o = summarise(oldR);
  const n = summarise(newR);
  const w = Math.max(...o.map((s) => s.length), 'current'.length);
  console.log(`${''.padEnd(14)}${'current'.padEnd(w)}  new`);
  labels.forEach((l, i) => console.log(`${l.padEnd(14)}${o[i].padEnd(w)}  ${n[i]}`));
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const source = opts.file ?? opts.url;
  const current = readCurrent(opts.out);

  let bytes: Buffer;
  if (opts.file !== undefined) {
    console.log(`reading ${opts.file}`);
    try {
      bytes = fs.readFileSync(opts.file);
    } catch (err) {
      throw new UserError(`could not read ${opts.file}: ${(err as Error).message}`);
    }
  } else {
    console.log(`downloading ${opts.url} (timeout ${TIMEOUT_MS / 1000} s)`);
    bytes = await download(opts.url);
  }
  const next = parseRanges(bytes, source);
  printComparison(current?.ranges, next);

  if (current && next.createDate < current.ranges.createDate) {
    throw new UserError(
      `refusing to replace ${opts.out}: the new createDate ${next.createDate} is older than the current ${current.ranges.createDate} (stale mirror or cache?)`,
    );
  }
  const indexOut = indexPathOf(opts.out);
  const index = Buffer.from(`${JSON.stringify(next.toIndex())}\n`);
  if (current && current.bytes.equals(bytes)) {
    if (!fs.existsSync(indexOut) || !fs.readFileSync(indexOut).equals(index)) {
      writeAtomically(indexOut, index);
      console.log(`wrote ${indexOut} (the compiled index the Lambda loads)`);
    }
    console.log(`${opts.out} is already up to date; nothing written.`);
    return;
  }

  writeAtomically(opts.out, bytes);
  writeAtomically(indexOut, index);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  console.log(`wrote ${opts.out}: ${bytes.length.toLocaleString('en-US')} bytes, sha256 ${sha256}, and its compiled index ${indexOut}`);
  console.log(
    'reminder: update the provenance in data/README.md (createDate, syncToken, prefix counts, size, sha256,\n' +
      '  git blob id from `git hash-object data/aws-ip-ranges.json`, and where/when the file was obtained).',
  );
}

main().catch((err: unknown) => {
  if (err instanceof UserError) {
    console.error(`refresh-ip-ranges: error: ${err.message}`);
  } else {
    console.error('refresh-ip-ranges: unexpected failure:', err);
  }
  process.exitCode = 1;
});
