// IP addresses and CIDR blocks for the detection engine: parsing, formatting, and
// most-specific-match sets (the allow-list; AWS's ranges in aws-ip-ranges.ts use the
// same index). parseIp and the lookups run on every CloudTrail event, so they are
// hand-written (no regexes, no dependencies; the tests hold them to ip-cidr) and
// allocate as little as possible.

/** An IPv4 (uint32 number) or IPv6 (128-bit bigint) address; IPv4-mapped IPv6 is always represented as IPv4. */
export type IpAddress = { version: 4; value: number } | { version: 6; value: bigint };

/** A parsed CIDR block: `start` is the network address (host bits cleared), `end` the last address; number for v4, bigint for v6. */
export interface Cidr {
  text: string;
  version: 4 | 6;
  start: number | bigint;
  end: number | bigint;
  prefixLength: number;
}

const V6_MAX = (1n << 128n) - 1n;

// Scratch space for parseV6. Safe because parsing is synchronous and not re-entrant.
const groups = new Uint16Array(8);

/** Parses a strict IPv4 dotted quad in text[from, to); returns the uint32 value or -1. */
function parseV4Range(text: string, from: number, to: number): number {
  if (to - from < 7 || to - from > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero is rejected because some parsers read "010" as octal (8).
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses any RFC 4291 textual IPv6 form into `groups`; returns false if malformed. */
function parseV6Groups(text: string): boolean {
  const n = text.length;
  // 45 = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"; bounding the length
  // also bounds the work done on hostile input.
  if (n < 2 || n > 45) return false;
  let count = 0;
  let gap = -1; // index in `groups` where "::" sits
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let j = i;
    let value = 0;
    let dotted = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) {
        dotted = true;
        break;
      }
      const h = hexValue(c);
      if (h < 0) return false; // also rejects zone ids ("%eth0"), brackets, spaces
      value = value * 16 + h;
      j++;
    }
    if (dotted) {
      // An embedded IPv4 address may only fill the last 32 bits.
      if (count > 6) return false;
      const v4 = parseV4Range(text, i, n);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4 || count === 8) return false;
    groups[count++] = value;
    i = j;
    if (i === n) break;
    i++; // the ':' after a group
    if (i === n) return false; // trailing single ':'
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return false; // a second "::" would be ambiguous
      gap = count;
      i++;
    }
  }
  if (gap < 0) return count === 8;
  // "::" stands for at least one zero group.
  if (count > 7) return false;
  const tail = count - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

/** Shared by parseIp and parseCidr; `foldMapped` is off for CIDRs, whose prefix length counts from the written form. */
function parseIpText(text: string, foldMapped: boolean): IpAddress | null {
  if (typeof text !== 'string') return null;
  if (text.indexOf(':') < 0) {
    const v4 = parseV4Range(text, 0, text.length);
    return v4 < 0 ? null : { version: 4, value: v4 };
  }
  if (!parseV6Groups(text)) return null;
  const w0 = ((groups[0] << 16) | groups[1]) >>> 0;
  const w1 = ((groups[2] << 16) | groups[3]) >>> 0;
  const w2 = ((groups[4] << 16) | groups[5]) >>> 0;
  const w3 = ((groups[6] << 16) | groups[7]) >>> 0;
  // ::ffff:0:0/96 is how dual-stack endpoints report IPv4 clients; folding it
  // into IPv4 keeps one identity per client.
  if (foldMapped && w0 === 0 && w1 === 0 && w2 === 0xffff) return { version: 4, value: w3 };
  return {
    version: 6,
    value: (BigInt(w0) << 96n) | (BigInt(w1) << 64n) | (BigInt(w2) << 32n) | BigInt(w3),
  };
}

/** Parses an IPv4 dotted quad or any IPv6 text form; returns null for anything else, including zone ids ("fe80::1%eth0") — CloudTrail never logs them, so one signals a forged or malformed field. */
export function parseIp(text: string): IpAddress | null {
  return parseIpText(text, true);
}

function formatV4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function formatV6(value: bigint): string {
  // RFC 5952 canonical form, so equal addresses always print identically.
  if (value >> 32n === 0xffffn) return `::ffff:${formatV4(Number(value & 0xffffffffn))}`;
  const g: number[] = new Array<number>(8);
  for (let k = 0; k < 8; k++) g[k] = Number((value >> BigInt(112 - 16 * k)) & 0xffffn);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed (RFC 5952 4.2.2)
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Formats an address canonically: dotted quad for v4, RFC 5952 compressed lower-case for v6. */
export function formatIp(ip: IpAddress): string {
  return ip.version === 4 ? formatV4(ip.value) : formatV6(ip.value);
}

/** The network an address most likely shares with its neighbours (IPv4 /24, IPv6 /48), used as a coarse "same place" key. */
export function locationPrefix(ip: IpAddress): string {
  if (ip.version === 4) return `${formatV4((ip.value & 0xffffff00) >>> 0)}/24`;
  return `${formatV6(ip.value & ~((1n << 80n) - 1n) & V6_MAX)}/48`;
}

/** True for addresses that cannot be a public internet source: RFC 1918, CGNAT 100.64/10, loopback, link-local, IPv6 ULA. */
export function isPrivate(ip: IpAddress): boolean {
  if (ip.version === 4) {
    const v = ip.value;
    const a = v >>> 24;
    return (
      a === 10 ||
      a === 127 ||
      v >>> 20 === 0xac1 || // 172.16.0.0/12
      v >>> 16 === 0xc0a8 || // 192.168.0.0/16
      v >>> 16 === 0xa9fe || // 169.254.0.0/16
      v >>> 22 === 0x191 // 100.64.0.0/10
    );
  }
  if (ip.value === 1n) return true;
  const top = Number(ip.value >> 112n);
  return (top & 0xffc0) === 0xfe80 || (top & 0xfe00) === 0xfc00;
}

/** Splits "addr/len" strictly; the address keeps its written version. */
function splitCidr(text: string): { ip: IpAddress; prefixLength: number } | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const len = text.slice(slash + 1);
  // Decimal without leading zeros: "/08" is accepted by some tools and read as octal by others.
  if (len.length === 0 || len.length > 3 || (len.length > 1 && len.charCodeAt(0) === 48)) return null;
  let prefixLength = 0;
  for (let i = 0; i < len.length; i++) {
    const c = len.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    prefixLength = prefixLength * 10 + (c - 48);
  }
  const ip = parseIpText(addr, false);
  if (!ip || prefixLength > (ip.version === 4 ? 32 : 128)) return null;
  return { ip, prefixLength };
}

function v4Bounds(value: number, prefixLength: number): [number, number] {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const start = (value & mask) >>> 0;
  return [start, (start | ~mask) >>> 0];
}

function v6Bounds(value: bigint, prefixLength: number): [bigint, bigint] {
  const host = (1n << BigInt(128 - prefixLength)) - 1n;
  const start = value & ~host & V6_MAX;
  return [start, start | host];
}

function makeCidr(text: string, version: 4 | 6, start: number | bigint, end: number | bigint, prefixLength: number): Cidr {
  // A v6 block inside ::ffff:0:0/96 only ever matches IPv4 clients, because
  // parseIp folds mapped addresses into IPv4; store it as the IPv4 block.
  if (version === 6 && prefixLength >= 96 && (start as bigint) >> 32n === 0xffffn) {
    return {
      text,
      version: 4,
      start: Number((start as bigint) & 0xffffffffn),
      end: Number((end as bigint) & 0xffffffffn),
      prefixLength: prefixLength - 96,
    };
  }
  return { text, version, start, end, prefixLength };
}

/**
 * Parses "address/length" (host bits allowed, start normalised to the network address); a bare
 * address, zone id, "/08" or whitespace yields null. Fast enough for the 17k-entry AWS file at
 * a cold start (ip-cidr needs ~1.4 s for it).
 */
export function parseCidr(text: string): Cidr | null {
  // Dotted IPv6 CIDRs ("::ffff:10.0.0.0/104") are refused: tools disagree on them (ip-cidr
  // reads that one as 10.0.0.0/8); written in hex or as IPv4 they are unambiguous.
  if (typeof text !== 'string' || (text.indexOf(':') >= 0 && text.indexOf('.') >= 0)) return null;
  const parts = splitCidr(text);
  if (!parts) return null;
  const { ip, prefixLength } = parts;
  if (ip.version === 4) {
    const [s, e] = v4Bounds(ip.value, prefixLength);
    return makeCidr(text, 4, s, e, prefixLength);
  }
  const [s, e] = v6Bounds(ip.value, prefixLength);
  return makeCidr(text, 6, s, e, prefixLength);
}

/** True if the address lies inside the block (never across versions). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.version !== ip.version) return false;
  if (ip.version === 4) return (cidr.start as number) <= ip.value && ip.value <= (cidr.end as number);
  return (cidr.start as bigint) <= ip.value && ip.value <= (cidr.end as bigint);
}

/** Disjoint intervals, each with the id of its innermost block (the compiled form of an index). */
export interface IntervalArrays {
  readonly v4: { readonly starts: readonly number[]; readonly ends: readonly number[]; readonly ids: readonly number[] };
  readonly v6: { readonly starts: readonly string[]; readonly ends: readonly string[]; readonly ids: readonly number[] };
}

/** A block to index, with the payload id its lookups return. */
export interface IndexItem {
  cidr: Cidr;
  id: number; // payload index returned by lookups
  rank: number; // lower wins between identical blocks
}

/**
 * Most-specific-match index. CIDR blocks are either nested or disjoint, so a
 * sweep over them sorted by (start, size desc) cuts the address space into
 * disjoint intervals, each owned by its innermost block; a lookup is then one
 * binary search instead of a scan over every block.
 */
export class IntervalIndex {
  private readonly v4Starts: Uint32Array;
  private readonly v4Ends: Uint32Array;
  private readonly v4Ids: Int32Array;
  private readonly v6Starts: bigint[];
  private readonly v6Ends: bigint[];
  private readonly v6Ids: Int32Array;

  constructor(items: readonly IndexItem[] | IntervalArrays) {
    if (!Array.isArray(items)) {
      // Already flattened (a compiled index file): no sweep, no bigint arithmetic.
      const a = items as IntervalArrays;
      this.v4Starts = Uint32Array.from(a.v4.starts);
      this.v4Ends = Uint32Array.from(a.v4.ends);
      this.v4Ids = Int32Array.from(a.v4.ids);
      this.v6Starts = a.v6.starts.map((h) => BigInt(`0x${h}`));
      this.v6Ends = a.v6.ends.map((h) => BigInt(`0x${h}`));
      this.v6Ids = Int32Array.from(a.v6.ids);
      return;
    }
    const list = items as readonly IndexItem[];
    const v4 = IntervalIndex.flatten(list.filter((x) => x.cidr.version === 4));
    this.v4Starts = Uint32Array.from(v4.starts, Number);
    this.v4Ends = Uint32Array.from(v4.ends, Number);
    this.v4Ids = Int32Array.from(v4.ids);
    const v6 = IntervalIndex.flatten(list.filter((x) => x.cidr.version === 6));
    this.v6Starts = v6.starts;
    this.v6Ends = v6.ends;
    this.v6Ids = Int32Array.from(v6.ids);
  }

  /** The flattened intervals, v6 bounds in hex. */
  arrays(): IntervalArrays {
    return {
      v4: { starts: [...this.v4Starts], ends: [...this.v4Ends], ids: [...this.v4Ids] },
      v6: { starts: this.v6Starts.map((b) => b.toString(16)), ends: this.v6Ends.map((b) => b.toString(16)), ids: [...this.v6Ids] },
    };
  }

  /** Build-time only, so it works in bigint for both versions. */
  private static flatten(items: readonly IndexItem[]): { starts: bigint[]; ends: bigint[]; ids: number[] } {
    const sorted = items
      .map((x) => ({ start: BigInt(x.cidr.start), end: BigInt(x.cidr.end), len: x.cidr.prefixLength, id: x.id, rank: x.rank }))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.len - b.len || a.rank - b.rank));
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    const ids: number[] = [];
    const emit = (s: bigint, e: bigint, id: number): void => {
      if (s <= e) {
        starts.push(s);
        ends.push(e);
        ids.push(id);
      }
    };
    const stack: { end: bigint; id: number }[] = [];
    let cursor = 0n;
    let prev: { start: bigint; len: number } | undefined;
    for (const item of sorted) {
      if (prev && prev.start === item.start && prev.len === item.len) continue; // identical block, lower rank already kept
      prev = item;
      while (stack.length > 0 && stack[stack.length - 1].end < item.start) {
        const top = stack.pop()!;
        emit(cursor, top.end, top.id);
        cursor = top.end + 1n;
      }
      if (stack.length > 0) emit(cursor, item.start - 1n, stack[stack.length - 1].id);
      cursor = item.start;
      stack.push({ end: item.end, id: item.id });
    }
    while (stack.length > 0) {
      const top = stack.pop()!;
      emit(cursor, top.end, top.id);
      cursor = top.end + 1n;
    }
    return { starts, ends, ids };
  }

  find(ip: IpAddress): number {
    if (ip.version === 4) {
      const v = ip.value;
      const starts = this.v4Starts;
      let lo = 0;
      let hi = starts.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (starts[mid] <= v) {
          found = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return found >= 0 && v <= this.v4Ends[found] ? this.v4Ids[found] : -1;
    }
    const v = ip.value;
    const starts = this.v6Starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= v) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && v <= this.v6Ends[found] ? this.v6Ids[found] : -1;
  }
}

/** A labelled set of CIDR blocks answering "which label does the most specific matching block carry?" in O(log n). */
export class CidrSet {
  private readonly labels: string[];
  private readonly index: IntervalIndex;

  /** Identical blocks listed twice keep the first label. */
  constructor(entries: ReadonlyArray<{ cidr: Cidr; label: string }>) {
    this.labels = entries.map((e) => e.label);
    this.index = new IntervalIndex(entries.map((e, i) => ({ cidr: e.cidr, id: i, rank: i })));
  }

  /** The label of the most specific block containing the address, or undefined. */
  lookup(ip: IpAddress): string | undefined {
    const id = this.index.find(ip);
    return id < 0 ? undefined : this.labels[id];
  }
}
