import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AwsIpRanges, defaultAwsIpRangesPath, indexPathOf, lazyAwsIpRanges, loadAwsIpRanges, type AwsRange } from '../lambdas/core/aws-ip-ranges';
import {
  Cidr,
  CidrSet,
  IpAddress,
  cidrContains,
  formatIp,
  isPrivate,
  locationPrefix,
  parseCidr,
  parseIp,
} from '../lambdas/core/ip';
import IPCIDR from 'ip-cidr';
import { seededRandom } from './support/random';

const DATA_FILE = path.join(__dirname, '..', 'data', 'aws-ip-ranges.json');

function v4(text: string): IpAddress {
  const ip = parseIp(text);
  if (!ip || ip.version !== 4) throw new Error(`test setup: ${text} is not IPv4`);
  return ip;
}

function v6(text: string): IpAddress {
  const ip = parseIp(text);
  if (!ip || ip.version !== 6) throw new Error(`test setup: ${text} is not IPv6`);
  return ip;
}

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`test setup: ${text} is not a CIDR`);
  return c;
}

describe('parseIp', () => {
  it.each([
    ['0.0.0.0', 4, 0],
    ['1.2.3.4', 4, 0x01020304],
    ['255.255.255.255', 4, 0xffffffff],
    ['192.0.2.1', 4, 0xc0000201],
    ['10.0.0.10', 4, 0x0a00000a],
  ])('given IPv4 text %s, when parsed, then it is version %d with value %d', (text, version, value) => {
    expect(parseIp(text)).toEqual({ version, value });
  });

  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['2001:db8::1', 0x20010db8000000000000000000000001n],
    ['2001:DB8::1', 0x20010db8000000000000000000000001n],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 0x20010db8000000000000000000000001n],
    ['1:2:3:4:5:6:7:8', 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:7::', 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 0x00000002000300040005000600070008n],
    ['1::', 0x00010000000000000000000000000000n],
    ['fe80::1:2', 0xfe800000000000000000000000010002n],
    ['1:2:3:4:5:6:1.2.3.4', 0x00010002000300040005000601020304n],
    ['::1.2.3.4', 0x01020304n],
    ['64:ff9b::192.0.2.1', 0x0064ff9b0000000000000000c0000201n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', (1n << 128n) - 1n],
  ])('given IPv6 text %s, when parsed, then it is version 6 with the expected 128-bit value', (text, value) => {
    expect(parseIp(text)).toEqual({ version: 6, value });
  });

  it.each(['::ffff:192.0.2.1', '::FFFF:192.0.2.1', '::ffff:c000:201', '0:0:0:0:0:ffff:c000:0201'])(
    'given IPv4-mapped IPv6 %s, when parsed, then the IPv4 address 192.0.2.1 is returned',
    (text) => {
      expect(parseIp(text)).toEqual({ version: 4, value: 0xc0000201 });
    },
  );

  it.each([
    ['255.18.064.253', 'leading zero in an octet'],
    ['01.2.3.4', 'leading zero in the first octet'],
    ['1.2.3.00', 'double zero octet'],
    ['256.1.1.1', 'octet out of range'],
    ['1.2.3.4444', 'octet out of range'],
    ['1.2.3', 'three octets'],
    ['1.2.3.4.5', 'five octets'],
    ['1.2..3', 'empty octet'],
    ['1.2.3.', 'trailing dot'],
    ['.1.2.3', 'leading dot'],
    ['1.2.3.4 ', 'trailing space'],
    [' 1.2.3.4', 'leading space'],
    ['1.2.3.-4', 'sign'],
    ['0x1.2.3.4', 'hex octet'],
    ['AWS Internal', 'CloudTrail placeholder for internal calls'],
    ['ec2.amazonaws.com', 'service principal instead of an address'],
    ['', 'empty string'],
    ['1:2:3:4:5:6:7:8:9', 'nine groups'],
    ['1:2:3:4:5:6:7', 'seven groups without ::'],
    ['2001:db8:::1', 'triple colon'],
    [':::', 'triple colon alone'],
    ['1::2::3', 'two ::'],
    [':1::', 'leading single colon'],
    ['1::2:', 'trailing single colon'],
    [':', 'single colon'],
    ['12345::', 'group longer than four digits'],
    ['2001:db8::g', 'non-hex digit'],
    ['fe80::1%eth0', 'zone id'],
    ['[::1]', 'brackets'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'embedded IPv4 after seven groups'],
    ['1:2:3:4:5:6:7:8::', ':: with eight groups'],
    ['::1.2.3.4:5', 'embedded IPv4 not last'],
    ['::ffff:1.2.3.04', 'embedded IPv4 with leading zero'],
    ['::ffff:1.2.3', 'embedded IPv4 too short'],
    ['1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19', 'very long input'],
  ])('given %j (%s), when parsed, then it is rejected', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('given a non-string at runtime, when parsed, then it is rejected rather than throwing', () => {
    expect(parseIp(undefined as unknown as string)).toBeNull();
    expect(parseIp(42 as unknown as string)).toBeNull();
  });
});

describe('formatIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:1:1', '2001::1:0:0:1:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:0:0:0:0:0', '1::'],
  ])('given %s, when formatted, then the RFC 5952 canonical text %s is produced', (text, expected) => {
    const ip = parseIp(text);
    expect(ip).not.toBeNull();
    expect(formatIp(ip!)).toBe(expected);
  });

  it('given an IPv4-mapped value built directly as version 6, when formatted, then it uses the mixed notation', () => {
    expect(formatIp({ version: 6, value: 0xffffc0000201n })).toBe('::ffff:192.0.2.1');
  });
});

describe('parseCidr', () => {
  it('given an IPv4 network, when parsed, then start and end span the block', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ text: '10.0.0.0/8', version: 4, start: 0x0a000000, end: 0x0affffff, prefixLength: 8 });
  });

  it('given an IPv4 block with host bits set, when parsed, then start is normalised to the network address and text is kept', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ text: '10.1.2.3/8', version: 4, start: 0x0a000000, end: 0x0affffff, prefixLength: 8 });
  });

  it('given /0 and /32 IPv4 blocks, when parsed, then they cover everything and exactly one address', () => {
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ start: 0, end: 0xffffffff, prefixLength: 0 });
    expect(parseCidr('192.0.2.7/32')).toMatchObject({ start: 0xc0000207, end: 0xc0000207, prefixLength: 32 });
  });

  it('given an IPv6 block, when parsed, then bounds are bigints', () => {
    expect(parseCidr('2001:db8:1::5/48')).toEqual({
      text: '2001:db8:1::5/48',
      version: 6,
      start: 0x20010db8000100000000000000000000n,
      end: 0x20010db80001ffffffffffffffffffffn,
      prefixLength: 48,
    });
    expect(parseCidr('::/0')).toMatchObject({ start: 0n, end: (1n << 128n) - 1n });
  });

  it('given an IPv4-mapped IPv6 block in hex, when parsed, then it becomes the equivalent IPv4 block (parseIp folds mapped addresses)', () => {
    expect(parseCidr('::ffff:a00:0/104')).toEqual({ text: '::ffff:a00:0/104', version: 4, start: 0x0a000000, end: 0x0affffff, prefixLength: 8 });
  });

  it.each([
    ['10.0.0.1', 'bare address is not a CIDR'],
    ['2001:db8::1', 'bare IPv6 address is not a CIDR'],
    ['10.0.0.0/', 'missing length'],
    ['10.0.0.0/33', 'IPv4 length too long'],
    ['2001:db8::/129', 'IPv6 length too long'],
    ['10.0.0.0/08', 'length with leading zero'],
    ['10.0.0.0/-1', 'negative length'],
    ['10.0.0.0/8/9', 'two slashes'],
    ['10.0.0.0 /8', 'space'],
    [' 10.0.0.0/8', 'leading space'],
    ['010.0.0.0/8', 'octet with leading zero'],
    ['10.0.0/8', 'three octets'],
    ['2001:db8::%eth0/64', 'zone id'],
    ['::ffff:10.0.0.0/104', 'dotted IPv6 CIDR (misread by ip-cidr)'],
    ['2001:db8::1.2.3.4/24', 'dotted IPv6 CIDR with short length'],
    ['', 'empty'],
    ['/8', 'no address'],
  ])('given %j (%s), when parsed, then null is returned', (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

describe('parseCidr against ip-cidr', () => {
  /** ip-cidr's reading of a block as [start, end], or null when it refuses it. */
  function reference(text: string): [bigint, bigint] | null {
    if (!IPCIDR.isValidCIDR(text)) return null;
    const block = new IPCIDR(text);
    return [BigInt(block.start<{ toString(): string }>({ type: 'bigInteger' }).toString()), BigInt(block.end<{ toString(): string }>({ type: 'bigInteger' }).toString())];
  }

  /** Blocks in the forms people write: host bits set, every length, compressed and full IPv6. */
  function blocks(): string[] {
    const rand = seededRandom(20261128);
    const int = (n: number): number => Math.floor(rand() * n);
    const out: string[] = [];
    for (let i = 0; i < 2_000; i++) out.push(`${int(256)}.${int(256)}.${int(256)}.${int(256)}/${int(33)}`);
    for (let i = 0; i < 2_000; i++) {
      const groups = Array.from({ length: 8 }, () => (rand() < 0.3 ? 0 : int(0x10000)).toString(16));
      const full = groups.join(':');
      // Compress the first run of zero groups, as people write them.
      const compressed = full.replace(/(^|:)0(:0)+(:|$)/, '::');
      out.push(`${rand() < 0.5 ? full : compressed}/${int(129)}`);
    }
    return out;
  }

  it('given 4,000 random blocks, when parsed, then each gives ip-cidr\'s network and last address', () => {
    let compared = 0;
    for (const text of blocks()) {
      const ours = parseCidr(text);
      const theirs = reference(text);
      // Every block we accept, ip-cidr accepts, with the same bounds (mapped IPv6 folded to IPv4).
      expect({ text, accepted: ours !== null }).toEqual({ text, accepted: theirs !== null });
      if (!ours || !theirs) continue;
      const offset = ours.version === 4 && text.includes(':') ? 0xffff00000000n : 0n;
      expect({ text, start: BigInt(ours.start) + offset, end: BigInt(ours.end) + offset }).toEqual({ text, start: theirs[0], end: theirs[1] });
      compared += 1;
    }
    expect(compared).toBe(4_000);
  });
});

describe('cidrContains', () => {
  const block = cidr('198.51.100.0/24');

  it('given the first and last address of a block, when tested, then both are inside', () => {
    expect(cidrContains(block, v4('198.51.100.0'))).toBe(true);
    expect(cidrContains(block, v4('198.51.100.255'))).toBe(true);
  });

  it('given the addresses just outside a block, when tested, then both are outside', () => {
    expect(cidrContains(block, v4('198.51.99.255'))).toBe(false);
    expect(cidrContains(block, v4('198.51.101.0'))).toBe(false);
  });

  it('given an address of the other IP version, when tested, then it is never inside', () => {
    expect(cidrContains(cidr('::/0'), v4('198.51.100.1'))).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), v6('2001:db8::1'))).toBe(false);
  });

  it('given an IPv6 block, when tested, then bigint bounds are honoured', () => {
    const b = cidr('2001:db8::/32');
    expect(cidrContains(b, v6('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe(true);
    expect(cidrContains(b, v6('2001:db9::'))).toBe(false);
  });

  it('given an IPv4-mapped address, when tested against an IPv4 block, then it matches', () => {
    expect(cidrContains(block, parseIp('::ffff:198.51.100.9')!)).toBe(true);
  });
});

describe('CidrSet', () => {
  const set = new CidrSet([
    { cidr: cidr('10.0.0.0/8'), label: 'corp' },
    { cidr: cidr('10.1.0.0/16'), label: 'vpn' },
    { cidr: cidr('10.1.2.0/24'), label: 'vpn-admin' },
    { cidr: cidr('10.1.2.3/32'), label: 'bastion' },
    { cidr: cidr('203.0.113.0/24'), label: 'office' },
    { cidr: cidr('203.0.113.0/24'), label: 'office-duplicate' },
    { cidr: cidr('2001:db8::/32'), label: 'v6-all' },
    { cidr: cidr('2001:db8:1::/48'), label: 'v6-site' },
  ]);

  it.each([
    ['10.200.0.1', 'corp'],
    ['10.0.0.0', 'corp'],
    ['10.255.255.255', 'corp'],
    ['10.1.0.0', 'vpn'],
    ['10.1.2.2', 'vpn-admin'],
    ['10.1.2.3', 'bastion'],
    ['10.1.2.4', 'vpn-admin'],
    ['10.1.3.0', 'vpn'],
    ['10.2.0.0', 'corp'],
    ['::ffff:10.1.2.3', 'bastion'],
    ['2001:db8:2::1', 'v6-all'],
    ['2001:db8:1:ffff::1', 'v6-site'],
  ])('given nested blocks, when %s is looked up, then the most specific label %s wins', (text, label) => {
    expect(set.lookup(parseIp(text)!)).toBe(label);
  });

  it('given the same block listed twice, when looked up, then the first label wins', () => {
    expect(set.lookup(v4('203.0.113.77'))).toBe('office');
  });

  it.each(['9.255.255.255', '11.0.0.0', '192.0.2.1', '2001:db9::', '::1'])(
    'given an address outside every block (%s), when looked up, then undefined is returned',
    (text) => {
      expect(set.lookup(parseIp(text)!)).toBeUndefined();
    },
  );

  it('given an empty set, when looked up, then undefined is returned for both versions', () => {
    const empty = new CidrSet([]);
    expect(empty.lookup(v4('10.0.0.1'))).toBeUndefined();
    expect(empty.lookup(v6('2001:db8::1'))).toBeUndefined();
  });

  it('given blocks listed from most to least specific, when looked up, then the result does not depend on input order', () => {
    const reversed = new CidrSet([
      { cidr: cidr('10.1.2.0/24'), label: 'inner' },
      { cidr: cidr('10.0.0.0/8'), label: 'outer' },
    ]);
    expect(reversed.lookup(v4('10.1.2.9'))).toBe('inner');
    expect(reversed.lookup(v4('10.1.3.9'))).toBe('outer');
  });

  it('given the whole address space and a /32, when looked up, then the extremes resolve', () => {
    const s = new CidrSet([
      { cidr: cidr('0.0.0.0/0'), label: 'any' },
      { cidr: cidr('255.255.255.255/32'), label: 'last' },
      { cidr: cidr('::/0'), label: 'any6' },
      { cidr: cidr('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'), label: 'last6' },
    ]);
    expect(s.lookup(v4('0.0.0.0'))).toBe('any');
    expect(s.lookup(v4('255.255.255.254'))).toBe('any');
    expect(s.lookup(v4('255.255.255.255'))).toBe('last');
    expect(s.lookup(v6('::'))).toBe('any6');
    expect(s.lookup(v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe('last6');
  });
});

describe('locationPrefix', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['0.0.0.1', '0.0.0.0/24'],
    ['255.255.255.255', '255.255.255.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::/48'],
    ['2001:DB8:0001:ffff::1', '2001:db8:1::/48'],
    ['2001:0:0:5::1', '2001::/48'],
    ['::1', '::/48'],
    ['ffff:ffff:ffff:ffff::', 'ffff:ffff:ffff::/48'],
  ])('given %s, when its location prefix is taken, then it is %s', (text, expected) => {
    expect(locationPrefix(parseIp(text)!)).toBe(expected);
  });
});

describe('isPrivate', () => {
  it.each([
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '127.0.0.1',
    '169.254.169.254',
    '::ffff:10.0.0.1',
    '::1',
    'fe80::1',
    'febf:ffff::1',
    'fc00::1',
    'fd12:3456::1',
  ])('given %s, when classified, then it is private', (text) => {
    expect(isPrivate(parseIp(text)!)).toBe(true);
  });

  it.each([
    '9.255.255.255',
    '11.0.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '8.8.8.8',
    '203.0.113.1',
    '::2',
    'fec0::1',
    'fe7f::1',
    'fe00::1',
    '2001:db8::1',
    '2600:1f18::1',
  ])('given %s, when classified, then it is not private', (text) => {
    expect(isPrivate(parseIp(text)!)).toBe(false);
  });
});

describe('AwsIpRanges.fromJson', () => {
  const entry = (ip_prefix: string, service: string, region = 'us-east-1') => ({
    ip_prefix,
    region,
    service,
    network_border_group: region,
  });
  const doc = (over: Record<string, unknown> = {}) => ({
    syncToken: '1700000000',
    createDate: '2023-11-14-22-13-20',
    prefixes: [
      entry('52.0.0.0/11', 'AMAZON'),
      entry('52.1.0.0/16', 'AMAZON'),
      entry('52.1.0.0/16', 'EC2'),
      entry('52.1.0.0/16', 'S3'),
      entry('52.1.2.0/24', 'AMAZON', 'us-west-2'),
    ],
    ipv6_prefixes: [{ ipv6_prefix: '2600:1f00::/24', region: 'GLOBAL', service: 'AMAZON', network_border_group: 'GLOBAL' }],
    ...over,
  });

  it('given a well-formed document, when indexed, then metadata and counts are exposed', () => {
    const r = AwsIpRanges.fromJson(doc());
    expect(r.syncToken).toBe('1700000000');
    expect(r.createDate).toBe('2023-11-14-22-13-20');
    expect(r.prefixCount).toBe(6);
    expect(r.ipv4PrefixCount).toBe(5);
    expect(r.ipv6PrefixCount).toBe(1);
  });

  it('given one prefix listed under AMAZON, EC2 and S3, when looked up, then the first specific service (EC2) wins', () => {
    expect(AwsIpRanges.fromJson(doc()).lookup(v4('52.1.9.9'))).toEqual({ region: 'us-east-1', service: 'EC2', prefix: '52.1.0.0/16' });
  });

  it('given an AMAZON prefix nested inside a specific one, when looked up, then the more specific AMAZON prefix still wins', () => {
    expect(AwsIpRanges.fromJson(doc()).lookup(v4('52.1.2.3'))).toEqual({ region: 'us-west-2', service: 'AMAZON', prefix: '52.1.2.0/24' });
  });

  it('given addresses covered only by the broad prefix, or by nothing, when looked up, then AMAZON or undefined is returned', () => {
    const r = AwsIpRanges.fromJson(doc());
    expect(r.lookup(v4('52.31.255.255'))).toEqual({ region: 'us-east-1', service: 'AMAZON', prefix: '52.0.0.0/11' });
    expect(r.lookup(v4('52.32.0.0'))).toBeUndefined();
    expect(r.lookup(v6('2600:1fff::1'))).toEqual({ region: 'GLOBAL', service: 'AMAZON', prefix: '2600:1f00::/24' });
    expect(r.lookup(v6('2601::1'))).toBeUndefined();
  });

  it('given a lookup result, when a caller tries to modify it, then the shared entry is frozen', () => {
    const hit = AwsIpRanges.fromJson(doc()).lookup(v4('52.1.9.9'))!;
    expect(Object.isFrozen(hit)).toBe(true);
  });

  it('given an entry without network_border_group, when indexed, then it is accepted (the field is unused)', () => {
    expect(() => AwsIpRanges.fromJson(doc({ prefixes: [{ ip_prefix: '1.2.3.0/24', region: 'r', service: 'S' }] }))).not.toThrow();
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-object document', [], /top level/],
    ['a null document', null, /top level/],
    ['a missing syncToken', doc({ syncToken: undefined }), /syncToken/],
    ['a numeric syncToken', doc({ syncToken: 1700000000 }), /syncToken/],
    ['a malformed createDate', doc({ createDate: '2023-11-14T22:13:20Z' }), /createDate/],
    ['missing prefixes', doc({ prefixes: undefined }), /prefixes must be an array/],
    ['missing ipv6_prefixes', doc({ ipv6_prefixes: {} }), /ipv6_prefixes must be an array/],
    ['a non-object entry', doc({ prefixes: ['1.2.3.0/24'] }), /prefixes\[0\] must be an object/],
    ['an entry without ip_prefix', doc({ prefixes: [{ region: 'r', service: 's' }] }), /prefixes\[0\]\.ip_prefix must be a string/],
    ['an invalid ip_prefix', doc({ prefixes: [entry('1.2.3.0/24', 'S'), entry('1.2.3.0/33', 'S')] }), /prefixes\[1\]\.ip_prefix must be an IPv4 CIDR, got "1\.2\.3\.0\/33"/],
    ['an IPv6 block in prefixes', doc({ prefixes: [entry('2600::/16', 'S')] }), /prefixes\[0\]\.ip_prefix must be an IPv4 CIDR/],
    ['an IPv4 block in ipv6_prefixes', doc({ ipv6_prefixes: [{ ipv6_prefix: '1.2.3.0/24', region: 'r', service: 's' }] }), /ipv6_prefixes\[0\]\.ipv6_prefix must be an IPv6 CIDR/],
    ['a missing region', doc({ prefixes: [{ ip_prefix: '1.2.3.0/24', service: 's' }] }), /prefixes\[0\]\.region/],
    ['an empty service', doc({ prefixes: [{ ip_prefix: '1.2.3.0/24', region: 'r', service: '' }] }), /prefixes\[0\]\.service/],
    ['a numeric network_border_group', doc({ prefixes: [{ ip_prefix: '1.2.3.0/24', region: 'r', service: 's', network_border_group: 1 }] }), /prefixes\[0\]\.network_border_group/],
  ])('given %s, when indexed, then an Error naming the bad field is thrown', (_name, input, message) => {
    expect(() => AwsIpRanges.fromJson(input)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------
// The real bundled file, checked against a deliberately naive oracle: every
// entry parsed with ip-cidr (parseCidr) and scanned linearly.
// ---------------------------------------------------------------------------

interface RawEntry {
  ip_prefix?: string;
  ipv6_prefix?: string;
  region: string;
  service: string;
}
interface OracleEntry {
  cidr: Cidr;
  range: AwsRange;
}


function bruteForce(entries: readonly OracleEntry[], ip: IpAddress): AwsRange | undefined {
  let best: OracleEntry | undefined;
  for (const e of entries) {
    if (!cidrContains(e.cidr, ip)) continue;
    // Equal lengths that both contain ip are the same block: a specific service beats AMAZON, else first listed.
    if (
      !best ||
      e.cidr.prefixLength > best.cidr.prefixLength ||
      (e.cidr.prefixLength === best.cidr.prefixLength && best.range.service === 'AMAZON' && e.range.service !== 'AMAZON')
    ) {
      best = e;
    }
  }
  return best?.range;
}

describe('AwsIpRanges on the bundled data/aws-ip-ranges.json', () => {
  const raw = JSON.parse(fs.readFileSync(DATA_FILE, 'utf8')) as {
    syncToken: string;
    createDate: string;
    prefixes: RawEntry[];
    ipv6_prefixes: RawEntry[];
  };
  const toOracle = (e: RawEntry, prefix: string): OracleEntry => ({
    cidr: cidr(prefix),
    range: { region: e.region, service: e.service, prefix },
  });
  const oracle4 = raw.prefixes.map((e) => toOracle(e, e.ip_prefix!));
  const oracle6 = raw.ipv6_prefixes.map((e) => toOracle(e, e.ipv6_prefix!));
  const ranges = loadAwsIpRanges();

  /** First entry whose network address the oracle attributes to that very entry (no more specific block covers it). */
  function firstSelfResolving(entries: readonly OracleEntry[], pred: (e: OracleEntry) => boolean): OracleEntry {
    for (const e of entries) {
      if (!pred(e)) continue;
      const ip = { version: e.cidr.version, value: e.cidr.start } as IpAddress;
      const hit = bruteForce(entries, ip);
      if (hit && hit.prefix === e.range.prefix && hit.service === e.range.service) return e;
    }
    throw new Error('test setup: no matching entry in the bundled file');
  }

  const startOf = (e: OracleEntry): IpAddress => ({ version: e.cidr.version, value: e.cidr.start }) as IpAddress;

  it('given the bundled file, when loaded by default, then its metadata matches the raw JSON', () => {
    expect(ranges.syncToken).toBe(raw.syncToken);
    expect(ranges.createDate).toBe(raw.createDate);
    expect(ranges.ipv4PrefixCount).toBe(raw.prefixes.length);
    expect(ranges.ipv6PrefixCount).toBe(raw.ipv6_prefixes.length);
    expect(ranges.prefixCount).toBe(raw.prefixes.length + raw.ipv6_prefixes.length);
  });

  it('given the same file loaded twice (default and explicit path), when compared, then the memoised instance is reused', () => {
    expect(defaultAwsIpRangesPath()).toBe(DATA_FILE);
    expect(loadAwsIpRanges()).toBe(ranges);
    expect(loadAwsIpRanges(DATA_FILE)).toBe(ranges);
  });

  it('given a path that does not exist, when loaded, then the error names the path', () => {
    const missing = path.join(__dirname, 'no-such-dir', 'ip-ranges.json');
    expect(() => loadAwsIpRanges(missing)).toThrow(missing);
  });

  it('given the lazy form (the Lambda\'s), when made, then a missing file fails at once; a present one loads at the first lookup', () => {
    const missing = path.join(__dirname, 'no-such-dir', 'ip-ranges.json');
    expect(() => lazyAwsIpRanges(missing)).toThrow(missing);
    const address = v4('3.4.12.4');
    expect(lazyAwsIpRanges(DATA_FILE).lookup(address)).toBe(ranges.lookup(address));
  });

  it('given a corrupt file, when the lazy form is made, then the first lookup fails naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arw-ranges-'));
    try {
      const file = path.join(dir, 'aws-ip-ranges.json');
      fs.writeFileSync(file, '{"prefixes": ');
      const lazy = lazyAwsIpRanges(file);
      expect(() => lazy.lookup(v4('3.4.12.4'))).toThrow(`cannot load AWS IP ranges from ${file}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given the network address of a real EC2 prefix, when looked up, then its region and EC2 service are returned', () => {
    const ec2 = firstSelfResolving(oracle4, (e) => e.range.service === 'EC2');
    const ip = startOf(ec2);
    expect(ranges.lookup(ip)).toEqual({ region: ec2.range.region, service: 'EC2', prefix: ec2.range.prefix });
    expect(isPrivate(ip)).toBe(false);
  });

  it('given the last address of that EC2 prefix written as IPv4-mapped IPv6, when looked up, then it still resolves', () => {
    const ec2 = firstSelfResolving(oracle4, (e) => e.range.service === 'EC2' && e.cidr.prefixLength < 32);
    const last = ec2.cidr.end as number;
    const mapped = parseIp(`::ffff:${formatIp({ version: 4, value: last })}`)!;
    expect(ranges.lookup(mapped)?.region).toBe(ec2.range.region);
  });

  it.each(['192.0.2.1', '198.51.100.1', '203.0.113.1', '10.0.0.1', '127.0.0.1', '2001:db8::1', '::1'])(
    'given a documentation/private address %s, when looked up, then it is not AWS',
    (text) => {
      expect(ranges.lookup(parseIp(text)!)).toBeUndefined();
    },
  );

  it('given the network address of a real IPv6 prefix, when looked up, then that prefix and its region are returned', () => {
    const e = firstSelfResolving(oracle6, (x) => x.range.service !== 'AMAZON');
    const hit = ranges.lookup(startOf(e));
    expect(hit).toEqual(e.range);
    expect(hit!.prefix).toContain(':');
  });

  it('given an address in a specific-service prefix nested in a broader AMAZON prefix, when looked up, then the specific prefix wins', () => {
    let found: { outer: OracleEntry; inner: OracleEntry } | undefined;
    const amazon = oracle4.filter((e) => e.range.service === 'AMAZON');
    for (const inner of oracle4) {
      if (inner.range.service === 'AMAZON') continue;
      const outer = amazon.find((a) => a.cidr.prefixLength < inner.cidr.prefixLength && cidrContains(a.cidr, startOf(inner)));
      const hit = bruteForce(oracle4, startOf(inner));
      if (outer && hit?.prefix === inner.range.prefix) {
        found = { outer, inner };
        break;
      }
    }
    expect(found).toBeDefined();
    const hit = ranges.lookup(startOf(found!.inner))!;
    expect(hit.prefix).toBe(found!.inner.range.prefix);
    expect(hit.service).not.toBe('AMAZON');
    expect(hit.prefix).not.toBe(found!.outer.range.prefix);
  });

  it('given a prefix listed both as AMAZON and as a specific service, when its address is looked up, then the specific service is returned', () => {
    const amazonPrefixes = new Set(oracle4.filter((e) => e.range.service === 'AMAZON').map((e) => e.range.prefix));
    const e = firstSelfResolving(oracle4, (x) => x.range.service !== 'AMAZON' && amazonPrefixes.has(x.range.prefix));
    expect(ranges.lookup(startOf(e))).toEqual(e.range);
  });

  it('given every prefix in the file, when its first and last addresses are looked up, then a containing prefix at least as specific is returned', () => {
    const all = [...oracle4, ...oracle6];
    const cidrByPrefix = new Map(all.map((e) => [e.range.prefix, e.cidr]));
    for (const e of all) {
      for (const value of [e.cidr.start, e.cidr.end]) {
        const ip = { version: e.cidr.version, value } as IpAddress;
        const hit = ranges.lookup(ip);
        const hitCidr = hit && cidrByPrefix.get(hit.prefix);
        if (!hitCidr || !cidrContains(hitCidr, ip) || hitCidr.prefixLength < e.cidr.prefixLength) {
          throw new Error(`${formatIp(ip)} from ${e.range.prefix} resolved to ${hit?.prefix}`);
        }
      }
    }
  });

  function sampleAddresses(entries: readonly OracleEntry[], version: 4 | 6, count: number, seed: number): IpAddress[] {
    const next = seededRandom(seed);
    const rnd = (): number => Math.floor(next() * 4_294_967_296);
    const max = version === 4 ? 0xffffffffn : (1n << 128n) - 1n;
    const randomBits = (bits: number): bigint => {
      let v = 0n;
      for (let b = 0; b < bits; b += 32) v = (v << 32n) | BigInt(rnd());
      return v & ((1n << BigInt(bits)) - 1n);
    };
    const out: IpAddress[] = [];
    const push = (v: bigint): void => {
      if (v < 0n || v > max) return;
      out.push(version === 4 ? { version: 4, value: Number(v) } : { version: 6, value: v });
    };
    while (out.length < count) {
      const e = entries[rnd() % entries.length];
      const start = BigInt(e.cidr.start);
      const end = BigInt(e.cidr.end);
      const hostBits = (version === 4 ? 32 : 128) - e.cidr.prefixLength;
      switch (rnd() % 6) {
        case 0: // boundaries and their outside neighbours: where off-by-one bugs live
          push(start);
          push(end);
          push(start - 1n);
          push(end + 1n);
          break;
        case 1:
          push(start + randomBits(hostBits));
          break;
        case 2: // nearby but possibly outside: same /16 (v4) or /32 (v6)
          push((start & ~((1n << BigInt(version === 4 ? 16 : 96)) - 1n)) | randomBits(version === 4 ? 16 : 96));
          break;
        default:
          push(randomBits(version === 4 ? 32 : 128));
      }
    }
    return out;
  }

  it.each<[4 | 6, number]>([
    [4, 4000],
    [6, 2500],
  ])('given seeded random and edge IPv%i addresses (%i of them), when looked up, then results equal a linear scan of the whole file', (version, count) => {
    const entries = version === 4 ? oracle4 : oracle6;
    const mismatches: string[] = [];
    let hits = 0;
    for (const ip of sampleAddresses(entries, version, count, 0x5eed + version)) {
      const expected = bruteForce(entries, ip);
      const actual = ranges.lookup(ip);
      if (expected) hits++;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push(`${formatIp(ip)}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Guard against a sampler that never lands inside AWS space (the comparison would be vacuous).
    expect(hits).toBeGreaterThan(count / 4);
  });
});

describe('the compiled AWS ranges index', () => {
  const rawPath = path.join(__dirname, '..', 'data', 'aws-ip-ranges.json');
  const raw = AwsIpRanges.fromJson(JSON.parse(fs.readFileSync(rawPath, 'utf8')));

  it('is committed up to date with data/aws-ip-ranges.json (npm run refresh-ip-ranges writes both)', () => {
    const committed = JSON.parse(fs.readFileSync(indexPathOf(rawPath), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(raw.toIndex())));
  });

  it('answers every lookup as the source file does', () => {
    // Given the ranges loaded both ways, and addresses at the edges of every prefix and in between
    const compiled = AwsIpRanges.fromIndex(JSON.parse(JSON.stringify(raw.toIndex())));
    const doc = JSON.parse(fs.readFileSync(rawPath, 'utf8')) as { prefixes: { ip_prefix: string }[]; ipv6_prefixes: { ipv6_prefix: string }[] };
    const probes: string[] = [];
    for (const p of doc.prefixes.filter((_, i) => i % 7 === 0)) {
      const c = parseCidr(p.ip_prefix)!;
      for (const v of [Number(c.start) - 1, Number(c.start), Number(c.end), Number(c.end) + 1]) if (v >= 0 && v <= 0xffffffff) probes.push([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.'));
    }
    for (const p of doc.ipv6_prefixes.filter((_, i) => i % 7 === 0)) probes.push(p.ipv6_prefix.split('/')[0]!.replace(/::$/, '::1'));
    // Then both give the same range for each
    for (const text of probes) {
      const ip = parseIp(text)!;
      expect(compiled.lookup(ip)).toEqual(raw.lookup(ip));
    }
    expect(compiled.syncToken).toBe(raw.syncToken);
    expect(compiled.prefixCount).toBe(raw.prefixCount);
  });

  it('is loaded alone where the source file is not shipped (the Lambda bundle)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranges-'));
    try {
      fs.writeFileSync(path.join(dir, 'aws-ip-ranges.index.json'), JSON.stringify(raw.toIndex()));
      const loaded = loadAwsIpRanges(path.join(dir, 'aws-ip-ranges.json'));
      expect(loaded.syncToken).toBe(raw.syncToken);
      expect(loaded.lookup(parseIp('3.4.12.4')!)).toEqual(raw.lookup(parseIp('3.4.12.4')!));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is ignored when it belongs to another version of the source file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranges-'));
    try {
      fs.writeFileSync(path.join(dir, 'aws-ip-ranges.json'), fs.readFileSync(rawPath));
      fs.writeFileSync(path.join(dir, 'aws-ip-ranges.index.json'), JSON.stringify({ ...raw.toIndex(), syncToken: '1', prefixes: [], labels: [], intervals: { v4: { starts: [], ends: [], ids: [] }, v6: { starts: [], ends: [], ids: [] } } }));
      expect(loadAwsIpRanges(path.join(dir, 'aws-ip-ranges.json')).lookup(parseIp('3.4.12.4')!)).toBeDefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
