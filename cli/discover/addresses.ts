/**
 * Source addresses into CIDRs for `allowedCidrs`. Each address is classified as source-ip
 * classifies it (AWS's published ranges, private, anything else; service host names apart),
 * grouped by the AWS region its range belongs to (or, for private addresses, the region of
 * the records), and aggregated: within a group, addresses become the smallest blocks of which at
 * least half the addresses were seen, else single /32s. So two NAT addresses far apart stay two
 * /32s, and no block wider than a /24 comes out unless over half of it was seen. IPv6 addresses
 * become their /64: a host's addresses change within its subnet (privacy addresses, new tasks).
 */
import { loadAwsIpRanges, type AwsRange } from '../../lambdas/core/aws-ip-ranges';
import { formatIp, isPrivate, parseIp, type IpAddress } from '../../lambdas/core/ip';
import { code, count, prose, table } from './markdown';
import { Seen } from './seen';
import { isOneOff, oneOffRule, SEEN_HEADER, seenCells, type LeftOut, type Period, type Section } from './section';

/** One source address (or service name) and how it was used. */
export interface AddressUse {
  readonly text: string;
  readonly seen: Seen;
  readonly regions: Set<string>;
  /** How it was used: `into <role>`, `session of <role>`. */
  readonly uses: Set<string>;
}

/** An address with what it is. */
export interface ClassifiedAddress extends AddressUse {
  readonly ip: IpAddress | null;
  /** `aws`, `private`, `external` (neither), `service` (an AWS service's host name or `AWS Internal`), `invalid`. */
  readonly kind: 'aws' | 'private' | 'external' | 'service' | 'invalid';
  readonly aws: AwsRange | null;
}

/** A proposed block and the addresses it covers. */
export interface Block {
  readonly cidr: string;
  /** The `allowedCidrs` group: `aws-<region>` or `private-<region>`. */
  readonly group: string;
  readonly addresses: readonly ClassifiedAddress[];
  readonly seen: Seen;
}

/** Classifies an address as source-ip would (AWS's bundled ranges, private, other). */
export function classify(use: AddressUse): ClassifiedAddress {
  const ip = parseIp(use.text);
  if (ip === null) {
    const kind = use.text === 'AWS Internal' || /^[a-z0-9.-]+\.amazonaws\.com$/.test(use.text) ? 'service' : 'invalid';
    return { ...use, ip, kind, aws: null };
  }
  if (isPrivate(ip)) return { ...use, ip, kind: 'private', aws: null };
  const aws = loadAwsIpRanges().lookup(ip) ?? null;
  return { ...use, ip, kind: aws ? 'aws' : 'external', aws };
}

/** The group an AWS or private address goes in. */
function groupOf(a: ClassifiedAddress): string {
  if (a.kind === 'aws') return `aws-${a.aws!.region.toLowerCase()}`;
  return `private-${[...a.regions].sort()[0] ?? 'unknown'}`;
}

/** AWS and private addresses as blocks, by group (external, service and invalid ones are not blocks). */
export function blocksOf(addresses: readonly ClassifiedAddress[]): Block[] {
  const groups = new Map<string, ClassifiedAddress[]>();
  for (const a of addresses) {
    if (a.kind !== 'aws' && a.kind !== 'private') continue;
    const g = groupOf(a);
    groups.set(g, [...(groups.get(g) ?? []), a]);
  }
  const blocks: Block[] = [];
  for (const [group, members] of [...groups.entries()].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const v4 = members.filter((a) => a.ip!.version === 4).sort((x, y) => (x.ip!.value as number) - (y.ip!.value as number));
    for (const part of coverV4(v4)) blocks.push(block(part.cidr, group, part.members));
    const v6 = new Map<bigint, ClassifiedAddress[]>();
    for (const a of members.filter((m) => m.ip!.version === 6)) {
      const net = ((a.ip!.value as bigint) >> 64n) << 64n;
      v6.set(net, [...(v6.get(net) ?? []), a]);
    }
    for (const [net, list] of [...v6.entries()].sort(([x], [y]) => (x < y ? -1 : 1))) blocks.push(block(`${formatIp({ version: 6, value: net })}/64`, group, list));
  }
  return blocks;
}

function block(cidr: string, group: string, addresses: readonly ClassifiedAddress[]): Block {
  const seen = new Seen();
  for (const a of addresses) seen.merge(a.seen);
  return { cidr, group, addresses, seen };
}

/**
 * Sorted IPv4 addresses as blocks: the smallest block holding them all when at least half its
 * addresses were seen, else its two halves, each judged the same way.
 */
function coverV4(sorted: readonly ClassifiedAddress[]): { cidr: string; members: ClassifiedAddress[] }[] {
  const unique: ClassifiedAddress[][] = [];
  for (const a of sorted) {
    const lastGroup = unique[unique.length - 1];
    if (lastGroup && lastGroup[0]!.ip!.value === a.ip!.value) lastGroup.push(a);
    else unique.push([a]);
  }
  const out: { cidr: string; members: ClassifiedAddress[] }[] = [];
  const cover = (items: readonly ClassifiedAddress[][]): void => {
    if (items.length === 0) return;
    const lo = items[0]![0]!.ip!.value as number;
    const hi = items[items.length - 1]![0]!.ip!.value as number;
    const prefix = lo === hi ? 32 : Math.clz32((lo ^ hi) >>> 0);
    const size = 2 ** (32 - prefix);
    if (prefix === 32 || items.length * 2 >= size) {
      const start = (lo & mask(prefix)) >>> 0;
      out.push({ cidr: `${formatIp({ version: 4, value: start })}/${prefix}`, members: items.flat() });
      return;
    }
    // Split at the first bit the addresses differ in.
    const bit = 2 ** (31 - prefix);
    const start = (lo & mask(prefix)) >>> 0;
    const mid = start + bit;
    cover(items.filter((i) => (i[0]!.ip!.value as number) < mid));
    cover(items.filter((i) => (i[0]!.ip!.value as number) >= mid));
  };
  cover(unique);
  return out;
}

/** The network mask of an IPv4 prefix length (a shift by 32 would shift by nothing). */
function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Proposes `allowedCidrs`: where the monitored roles' sessions and their callers called from. */
export function proposeCidrs(uses: readonly AddressUse[], period: Period): Section {
  const classified = uses.map(classify).sort((x, y) => y.seen.calls - x.seen.calls);
  const leftOut: LeftOut[] = [];
  const groups: Record<string, string[]> = {};
  const rows: string[][] = [];
  const usedAs = (list: readonly ClassifiedAddress[]): string => [...new Set(list.flatMap((a) => [...a.uses]))].sort().slice(0, 4).map((u) => prose(u)).join('; ');
  for (const b of blocksOf(classified)) {
    const oneOff = isOneOff(b.seen, period);
    const aws = b.addresses[0]!.aws;
    const shown = b.addresses.length <= 4 ? b.addresses.map((a) => code(a.text)).join(', ') : `${count(b.addresses.length)} addresses`;
    rows.push([code(b.cidr), code(b.group), shown, aws ? `${code(aws.prefix)} ${code(aws.service)} ${code(aws.region)}` : 'private', usedAs(b.addresses), ...seenCells(b.seen), oneOff ? `left out: ${oneOffRule(period)}` : 'proposed']);
    if (oneOff) leftOut.push({ what: 'address', value: b.cidr, why: `a one-off ${b.addresses[0]!.kind === 'aws' ? 'AWS' : 'private'} address: ${oneOffRule(period)}`, seen: b.seen });
    else (groups[b.group] ??= []).push(b.cidr);
  }
  for (const a of classified.filter((x) => x.kind === 'external' || x.kind === 'invalid')) {
    const why = a.kind === 'external' ? 'not an AWS address (nor a private one): source-ip alerts on it. If it is the vendor\'s own egress (an office, a data centre), add it by hand' : 'neither an IP address nor an AWS service';
    rows.push([code(a.text), '-', code(a.text), a.kind === 'external' ? 'not AWS' : 'invalid', usedAs([a]), ...seenCells(a.seen), `left out: ${why}`]);
    leftOut.push({ what: 'address', value: a.text, why, seen: a.seen });
  }
  const services = classified.filter((a) => a.kind === 'service').map((a) => [code(a.text), usedAs([a]), ...seenCells(a.seen)]);
  const names = Object.keys(groups);
  const total = names.reduce((n, g) => n + groups[g]!.length, 0);
  const markdown =
    `## Source addresses (\`allowedCidrs\`)\n\nWhere the monitored roles were assumed from, and where their sessions called from (every call, not only AssumeRole). Each address is looked up in AWS's published ranges (the bundled \`ip-ranges.json\`, as source-ip does). AWS and private addresses are grouped by the AWS region of their range (private ones by the region of the records) and aggregated: the smallest block of which at least half the addresses were seen, else single addresses, so no block is wider than a /24 unless more than half of it was seen; IPv6 addresses as their /64 (a host's addresses change within its subnet). A block ${oneOffRule(period)} is left out, and so is every address outside AWS: that is where stolen credentials are used from.\n\n${table(['block', 'group', 'addresses', 'AWS range', 'used as', ...SEEN_HEADER, 'verdict'], rows)}\n` +
    `AWS services acting for the roles (classified by source-ip, never flagged):\n\n${table(['service', 'used as', ...SEEN_HEADER], services)}\n` +
    (total > 0
      ? `Proposed: ${count(total)} block${total === 1 ? '' : 's'} in ${names.length} group${names.length === 1 ? '' : 's'} (${names.map((g) => code(g)).join(', ')}). Groups are locations for session-locations: a session used from two of them alerts (medium). Merge groups if the vendor's sessions move between them.\n`
      : 'Proposed: nothing. Without `allowedCidrs`, source-ip flags only addresses outside AWS.\n');
  return { config: total > 0 ? { allowedCidrs: groups } : {}, markdown, leftOut, summary: total > 0 ? `${total} address block${total === 1 ? '' : 's'} in ${names.length} group${names.length === 1 ? '' : 's'}` : 'no address block proposed' };
}
