// AWS's published address ranges (ip-ranges.json, bundled in data/ and refreshable): loaded,
// compiled into an index the Lambda bundle ships, and looked up most-specific-first. The only
// part of the IP handling that touches the file system.
import * as fs from 'fs';
import * as path from 'path';
import { IntervalIndex, parseCidr, type IndexItem, type IntervalArrays, type IpAddress } from './ip';

/** One entry of AWS's ip-ranges.json: the matching prefix as written in the file, with its region and service. */
export interface AwsRange {
  region: string;
  service: string;
  prefix: string;
}

const CREATE_DATE = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The format tag of a compiled ip-ranges index. */
const AWS_IP_RANGES_INDEX_FORMAT = 'assumerole-watch/aws-ip-ranges-index@1';

/** An ip-ranges.json compiled by {@link AwsIpRanges.toIndex}. */
export interface AwsIpRangesIndex {
  readonly format: typeof AWS_IP_RANGES_INDEX_FORMAT;
  readonly syncToken: string;
  readonly createDate: string;
  readonly ipv4PrefixCount: number;
  readonly ipv6PrefixCount: number;
  readonly regions: readonly string[];
  readonly services: readonly string[];
  readonly prefixes: readonly string[];
  /** Per range: index into `regions`, index into `services`. */
  readonly labels: readonly number[];
  readonly intervals: IntervalArrays;
}

/** AWS's published address ranges (ip-ranges.json), indexed for most-specific lookup. */
export class AwsIpRanges {
  /** Total entries in `prefixes` plus `ipv6_prefixes`. */
  readonly prefixCount: number;

  private constructor(
    readonly syncToken: string,
    readonly createDate: string,
    readonly ipv4PrefixCount: number,
    readonly ipv6PrefixCount: number,
    private readonly ranges: readonly AwsRange[],
    private readonly index: IntervalIndex,
  ) {
    this.prefixCount = ipv4PrefixCount + ipv6PrefixCount;
  }

  /** Validates and indexes a parsed ip-ranges.json document; throws an Error naming the first bad field. */
  static fromJson(doc: unknown): AwsIpRanges {
    if (!isRecord(doc)) throw new Error('ip-ranges document: expected a JSON object at the top level');
    const { syncToken, createDate, prefixes, ipv6_prefixes: ipv6Prefixes } = doc;
    if (typeof syncToken !== 'string' || syncToken === '') {
      throw new Error(`ip-ranges document: syncToken must be a non-empty string, got ${JSON.stringify(syncToken)}`);
    }
    // The refresh script compares createDate as text, which needs this fixed-width format.
    if (typeof createDate !== 'string' || !CREATE_DATE.test(createDate)) {
      throw new Error(`ip-ranges document: createDate must look like YYYY-MM-DD-hh-mm-ss, got ${JSON.stringify(createDate)}`);
    }
    if (!Array.isArray(prefixes)) throw new Error('ip-ranges document: prefixes must be an array');
    if (!Array.isArray(ipv6Prefixes)) throw new Error('ip-ranges document: ipv6_prefixes must be an array');

    const ranges: AwsRange[] = [];
    const items: IndexItem[] = [];
    const total = prefixes.length + ipv6Prefixes.length;
    const add = (list: unknown[], listName: string, prefixField: string, version: 4 | 6): void => {
      for (let i = 0; i < list.length; i++) {
        const entry = list[i];
        const where = `ip-ranges document: ${listName}[${i}]`;
        if (!isRecord(entry)) throw new Error(`${where} must be an object`);
        const prefix = entry[prefixField];
        const { region, service } = entry;
        if (typeof prefix !== 'string') throw new Error(`${where}.${prefixField} must be a string`);
        const cidr = parseCidr(prefix);
        if (!cidr || cidr.version !== version) {
          throw new Error(`${where}.${prefixField} must be an IPv${version} CIDR, got ${JSON.stringify(prefix)}`);
        }
        if (typeof region !== 'string' || region === '') throw new Error(`${where}.region must be a non-empty string`);
        if (typeof service !== 'string' || service === '') throw new Error(`${where}.service must be a non-empty string`);
        // network_border_group is not used, so only its type is checked, and only when present.
        const nbg = entry.network_border_group;
        if (nbg !== undefined && typeof nbg !== 'string') throw new Error(`${where}.network_border_group must be a string`);
        const id = ranges.length;
        ranges.push(Object.freeze({ region, service, prefix }));
        // AWS lists a prefix once under the catch-all "AMAZON" and again under
        // each specific service; the specific one says more. Among several
        // specific services the first in file order wins, for determinism.
        items.push({ cidr, id, rank: service === 'AMAZON' ? total + id : id });
      }
    };
    add(prefixes, 'prefixes', 'ip_prefix', 4);
    add(ipv6Prefixes, 'ipv6_prefixes', 'ipv6_prefix', 6);
    return new AwsIpRanges(syncToken, createDate, prefixes.length, ipv6Prefixes.length, ranges, new IntervalIndex(items));
  }

  /**
   * The ranges compiled for fast loading (`data/aws-ip-ranges.index.json`): the same lookups as
   * the source file, without parsing 17,000 CIDRs at every cold start.
   */
  toIndex(): AwsIpRangesIndex {
    const regions: string[] = [];
    const services: string[] = [];
    const ids = (table: string[], value: string): number => {
      const i = table.indexOf(value);
      return i >= 0 ? i : table.push(value) - 1;
    };
    const labels: number[] = [];
    for (const r of this.ranges) labels.push(ids(regions, r.region), ids(services, r.service));
    return {
      format: AWS_IP_RANGES_INDEX_FORMAT,
      syncToken: this.syncToken,
      createDate: this.createDate,
      ipv4PrefixCount: this.ipv4PrefixCount,
      ipv6PrefixCount: this.ipv6PrefixCount,
      regions,
      services,
      prefixes: this.ranges.map((r) => r.prefix),
      labels,
      intervals: this.index.arrays(),
    };
  }

  /** Loads a compiled index written by {@link toIndex}; throws naming what is wrong. */
  static fromIndex(doc: unknown): AwsIpRanges {
    if (!isRecord(doc) || doc.format !== AWS_IP_RANGES_INDEX_FORMAT) throw new Error(`ip-ranges index: expected format ${AWS_IP_RANGES_INDEX_FORMAT}`);
    const d = doc as unknown as AwsIpRangesIndex;
    if (!Array.isArray(d.prefixes) || !Array.isArray(d.labels) || d.labels.length !== 2 * d.prefixes.length || !isRecord(d.intervals)) {
      throw new Error('ip-ranges index: prefixes, labels and intervals do not match');
    }
    const ranges = d.prefixes.map((prefix, i) => Object.freeze({ region: d.regions[d.labels[2 * i]!]!, service: d.services[d.labels[2 * i + 1]!]!, prefix }));
    return new AwsIpRanges(d.syncToken, d.createDate, d.ipv4PrefixCount, d.ipv6PrefixCount, ranges, new IntervalIndex(d.intervals));
  }

  /** The most specific AWS prefix containing the address (a specific service over "AMAZON" for equal prefixes), or undefined; the returned object is shared and frozen. */
  lookup(ip: IpAddress): AwsRange | undefined {
    const id = this.index.find(ip);
    return id < 0 ? undefined : this.ranges[id];
  }
}

let defaultPath: string | undefined;

/** Finds data/aws-ip-ranges.json by walking up from this module (lambdas/engine under ts-jest/tsx, dist/lambdas/engine once compiled). */
export function defaultAwsIpRangesPath(): string {
  if (defaultPath) return defaultPath;
  const tried: string[] = [];
  for (let dir = __dirname; ; ) {
    const candidate = path.join(dir, 'data', 'aws-ip-ranges.json');
    // The Lambda bundle ships only the compiled index.
    if (fs.existsSync(candidate) || fs.existsSync(indexPathOf(candidate))) return (defaultPath = candidate);
    tried.push(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`aws-ip-ranges.json not found; looked for: ${tried.join(', ')}`);
    dir = parent;
  }
}

const loaded = new Map<string, AwsIpRanges>();

/** What the detectors need of AWS's ranges. */
export interface AwsRangeLookup {
  lookup(ip: IpAddress): AwsRange | undefined;
}

/**
 * AWS's ranges, found now and loaded at the first lookup: a Lambda's cold start checks that
 * the bundled file is there (and fails naming where it looked), but parses it only when a call
 * comes from outside the allow-list, which the vendor's own traffic never does.
 */
export function lazyAwsIpRanges(filePath?: string): AwsRangeLookup {
  const resolved = filePath === undefined ? defaultAwsIpRangesPath() : path.resolve(filePath);
  if (!fs.existsSync(resolved) && !fs.existsSync(indexPathOf(resolved))) throw new Error(`cannot load AWS IP ranges from ${resolved}: no such file`);
  let ranges: AwsIpRanges | undefined;
  return { lookup: (ip) => (ranges ??= loadAwsIpRanges(resolved)).lookup(ip) };
}

/** The compiled index kept beside an ip-ranges.json file. */
export function indexPathOf(rangesPath: string): string {
  return rangesPath.replace(/\.json$/, '.index.json');
}

/**
 * Loads an ip-ranges.json file (default: the bundled data/aws-ip-ranges.json), memoised per
 * resolved path. The compiled index beside it is used when it belongs to the same file (same
 * syncToken), or alone when the source file is not there (the Lambda bundle ships the index).
 */
export function loadAwsIpRanges(filePath?: string): AwsIpRanges {
  const resolved = filePath === undefined ? defaultAwsIpRangesPath() : path.resolve(filePath);
  const cached = loaded.get(resolved);
  if (cached) return cached;
  let ranges: AwsIpRanges;
  try {
    const indexPath = indexPathOf(resolved);
    if (fs.existsSync(indexPath)) {
      ranges = AwsIpRanges.fromIndex(JSON.parse(fs.readFileSync(indexPath, 'utf8')));
      if (fs.existsSync(resolved) && !sameSyncToken(resolved, ranges.syncToken)) ranges = AwsIpRanges.fromJson(JSON.parse(fs.readFileSync(resolved, 'utf8')));
    } else {
      ranges = AwsIpRanges.fromJson(JSON.parse(fs.readFileSync(resolved, 'utf8')));
    }
  } catch (err) {
    throw new Error(`cannot load AWS IP ranges from ${resolved}: ${(err as Error).message}`);
  }
  loaded.set(resolved, ranges);
  return ranges;
}

/** Whether the source file carries this syncToken (read from its first bytes, not parsed whole). */
function sameSyncToken(file: string, syncToken: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(256);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const match = /"syncToken"\s*:\s*"([^"]*)"/.exec(head.subarray(0, n).toString('utf8'));
    return match?.[1] === syncToken;
  } finally {
    fs.closeSync(fd);
  }
}
