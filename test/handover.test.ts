import { ResultDecoder, ResultEncoder } from '../cli/handover';
import { generateCorpus } from '../cli/generate';
import { parseRecord, type ParseResult } from '../lambdas/core/parse';
import { fixtureRecords } from './support/fixtures';

/** Results in files of `perFile`, encoded and decoded in order, as the reader thread hands them over. */
function roundTrip(results: readonly ParseResult[], perFile: number, tableSize?: number): { decoded: ParseResult[]; encoded: (readonly unknown[])[] } {
  const encoder = new ResultEncoder(tableSize);
  const decoder = new ResultDecoder();
  const encoded: (readonly unknown[])[] = [];
  const decoded: ParseResult[] = [];
  for (let i = 0; i < results.length; i += perFile) {
    // structuredClone: what crosses between threads is a copy, not the encoder's array
    const message = structuredClone(encoder.encode(results.slice(i, i + perFile)));
    encoded.push(message);
    decoded.push(...decoder.decode(message));
  }
  return { decoded, encoded };
}

describe('the hand-over from the reader thread', () => {
  it('gives back every public fixture record exactly as parsed: calls, ignored records and rejections', () => {
    // Given the parse results of every fixture record (all four kinds, IPv4 and IPv6 sources,
    // service and console callers, failures with null parameters)
    // service and console callers, failures with null parameters), and the calls again from
    // IPv6 addresses
    const records = fixtureRecords();
    const fromV6 = records.flatMap((r, i) => (typeof r.record === 'object' && r.record !== null ? [{ ...r.record, sourceIPAddress: i % 2 ? '2001:db8::7:1' : '::ffff:198.51.100.7' }] : []));
    const results = [...records.map((r) => parseRecord(r.record, { file: r.file, line: r.index + 1 })), ...fromV6.map((r) => parseRecord(r))];
    expect(new Set(results.map((r) => r.kind)).size).toBe(4);
    expect(results.filter((r) => r.kind !== 'rejected' && r.kind !== 'ignored' && r.source.kind === 'ip' && r.source.ip.version === 6).length).toBeGreaterThan(20);
    // When they cross in files of 7
    const { decoded } = roundTrip(results, 7);
    // Then each is what was parsed, field for field
    expect(decoded).toStrictEqual(results);
  });

  it('stays exact when the string table fills and both sides start it again', () => {
    // Given two days of generated traffic with incidents, and a table of only 50 strings
    const results = [...generateCorpus({ days: 2, customers: 12, seed: 3 })].map((r) => parseRecord(r));
    expect(results.length).toBeGreaterThan(1_000);
    // When it crosses in files of 30
    const { decoded } = roundTrip(results, 30, 50);
    // Then nothing changed
    expect(decoded).toStrictEqual(results);
  });

  it('sends a string that repeats once, then only its number', () => {
    // Given one caller's thirty calls into the same role
    const records = [...generateCorpus({ days: 1, customers: 12, seed: 5 })].map((r) => parseRecord(r)).filter((r) => r.kind === 'assume-role');
    const role = records[0]!.roleArn!;
    const same = records.filter((r) => r.roleArn === role).slice(0, 30);
    expect(same.length).toBeGreaterThan(5);
    // When they cross in two files
    const { encoded } = roundTrip(same, Math.ceil(same.length / 2));
    // Then the role ARN is in the first message once and not in the second
    expect(encoded[0]!.filter((v) => v === role)).toHaveLength(1);
    expect(encoded[1]!.filter((v) => v === role)).toHaveLength(0);
  });
});
