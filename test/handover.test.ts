import { ResultDecoder, ResultEncoder } from '../cli/handover';
import { KINDS, PRINCIPAL_FIELDS } from '../cli/handover-fields';
import { generateCorpus } from '../cli/generate';
import { parseRecord, type ParseResult } from '../lambdas/core/parse';
import { fixture, fixtureRecords } from './support/fixtures';

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

type Shape = string | [string, Shape][];

/**
 * Every key of a value, in order, with the shape of what it holds: two results with the same
 * shape have the same fields, none missing, in the order the engine's hot path expects.
 */
function shape(value: unknown): Shape {
  if (typeof value !== 'object' || value === null) return value === null ? 'null' : typeof value;
  return Object.entries(value).map(([key, v]) => [key, shape(v)]);
}

/** Every fixture record's parse result, and each call again from an IPv6 address. */
function fixtureResults(): ParseResult[] {
  const records = fixtureRecords();
  const fromV6 = records.flatMap((r, i) => (typeof r.record === 'object' && r.record !== null ? [{ ...r.record, sourceIPAddress: i % 2 ? '2001:db8::7:1' : '::ffff:198.51.100.7' }] : []));
  return [...records.map((r) => parseRecord(r.record, { file: r.file, line: r.index + 1 })), ...fromV6.map((r) => parseRecord(r))];
}

/** Two days of generated traffic with incidents. */
function corpusResults(): ParseResult[] {
  return [...generateCorpus({ days: 2, customers: 12, seed: 3 })].map((r) => parseRecord(r));
}

describe('the hand-over from the reader thread', () => {
  it('gives back every public fixture record exactly as parsed: calls, ignored records and rejections', () => {
    // Given the parse results of every fixture record (all four kinds, IPv4 and IPv6 sources,
    // service and console callers, failures with null parameters), and the calls again from
    // IPv6 addresses
    const results = fixtureResults();
    expect(new Set(results.map((r) => r.kind)).size).toBe(4);
    expect(results.filter((r) => r.kind !== 'rejected' && r.kind !== 'ignored' && r.source.kind === 'ip' && r.source.ip.version === 6).length).toBeGreaterThan(20);
    // When they cross in files of 7
    const { decoded } = roundTrip(results, 7);
    // Then each is what was parsed, field for field, with every field in parse.ts's order
    expect(decoded).toStrictEqual(results);
    expect(decoded.map(shape)).toEqual(results.map(shape));
  });

  it('stays exact when the string table fills and both sides start it again', () => {
    // Given two days of generated traffic with incidents, and a table of only 50 strings
    const results = corpusResults();
    expect(results.length).toBeGreaterThan(1_000);
    // When it crosses in files of 30
    const { decoded } = roundTrip(results, 30, 50);
    // Then nothing changed, not a field nor the order of the fields
    expect(decoded).toStrictEqual(results);
    expect(decoded.map(shape)).toEqual(results.map(shape));
  });

  it('declares every field parse.ts builds, in the order it builds them', () => {
    // Given every kind of call, ignored record and caller that the fixtures and generated traffic hold
    const results = [...fixtureResults(), ...corpusResults()].filter((r) => r.kind !== 'rejected');
    expect(new Set(results.map((r) => r.kind)).size).toBe(3);
    // When their keys are set beside the field table's
    const keys = results.map((r) => Object.keys(r));
    const principals = results.flatMap((r) => (r.kind === 'ignored' ? [] : [Object.keys(r.principal)]));
    // Then each kind has the table's fields after its kind, no more, no fewer, in the same order
    expect(keys).toEqual(results.map((r) => ['kind', ...Object.keys(KINDS[r.kind].fields)]));
    expect(principals).toEqual(principals.map(() => Object.keys(PRINCIPAL_FIELDS)));
  });

  it('carries what a call asked for: its duration and session policy, or that the request was not logged', () => {
    // Given the documented role-chaining AssumeRole with a session policy allowing everything and
    // managed policies, the same with durationSeconds as a string and no policy, and a denial
    // whose request CloudTrail did not log
    const sample = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventID === '1917948f-3042-46ec-98e2-62865EXAMPLE');
    const request = sample.requestParameters as Record<string, unknown>;
    const records = [
      { ...sample, requestParameters: { ...request, policy: '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}', policyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, { arn: 'arn:aws:iam::111111111111:policy/sync' }] } },
      { ...sample, eventID: 'e-2', requestParameters: { ...request, durationSeconds: '900' } },
      { ...sample, eventID: 'e-3', errorCode: 'AccessDenied', requestParameters: null, responseElements: null },
    ];
    const results = records.map((r) => parseRecord(r));
    expect(results.map((r) => r.kind === 'assume-role' && [r.requestLogged, r.durationSeconds, r.sessionPolicyAllowsAll, r.sessionPolicyArns !== null])).toEqual([
      [true, 3600, true, true],
      [true, 900, false, false],
      [false, null, false, false],
    ]);
    // When they cross, then each is what was parsed, field for field
    const { decoded } = roundTrip(results, 2);
    expect(decoded).toStrictEqual(results);
    expect(decoded.map(shape)).toEqual(results.map(shape));
  });

  it('carries the endpoint the client dialled, and its absence', () => {
    // Given the documented AssumeRole through the global endpoint, through a regional one, and without tlsDetails
    const sample = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventID === '1917948f-3042-46ec-98e2-62865EXAMPLE');
    const records = [
      { ...sample, tlsDetails: { clientProvidedHostHeader: 'sts.amazonaws.com' } },
      { ...sample, eventID: 'e-2', tlsDetails: { clientProvidedHostHeader: 'sts.eu-west-1.amazonaws.com' } },
      { ...sample, eventID: 'e-3', tlsDetails: undefined },
    ];
    const results = records.map((r) => parseRecord(r));
    expect(results.map((r) => r.kind === 'assume-role' && r.hostHeader)).toEqual(['sts.amazonaws.com', 'sts.eu-west-1.amazonaws.com', null]);
    // When they cross, then each is what was parsed, field for field
    const { decoded } = roundTrip(results, 2);
    expect(decoded).toStrictEqual(results);
    expect(decoded.map(shape)).toEqual(results.map(shape));
  });

  it('refuses a result of a kind it has no fields for, rather than drop it', () => {
    // Given a result of a kind the table does not declare
    const unknown = { kind: 'audit-only', eventId: 'e-1', eventTime: 0 } as unknown as ParseResult;
    // When it is encoded, then the encoder says so
    expect(() => new ResultEncoder().encode([unknown])).toThrow('no codec for a result of kind audit-only');
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
