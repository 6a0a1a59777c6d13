/**
 * Runs every detector's cases (`test/detectors/<id>.cases.ts`) through the real engine, checks
 * the registry, and checks that AWS services acting on their own never alert. No mocks: the
 * engine, the parser and the in-memory store are the ones replay uses.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTORS } from '../lambdas/detectors';
import { DETECTOR_IDS } from '../lambdas/core/detector-ids';
import { OUTBOUND_ROLE } from './support/case-records';
import { CASE_BASE_CONFIG, type DetectorCase } from './detectors/cases';
import { countOnce, eventFingerprint, type Detector } from '../lambdas/detectors/detector';
import { applyUpdate } from '../lambdas/core/state';
import { loadConfig, withCustomerRegistry, type CompiledConfig } from '../lambdas/core/config';
import { registryOf } from './support/registry';
import type { StatePorts as EnginePorts } from '../lambdas/delivery/batch-runner';
import { select } from '../lambdas/engine/engine';
import { processBatch, type BatchResult } from './support/engine';
import { parseRecord } from '../lambdas/core/parse';
import { ASSUME_ROLE_EVENT_NAMES, SEVERITIES, type Finding, type ParsedCall } from '../lambdas/core/types';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { fixtureRecords } from './support/fixtures';

const DETECTOR_DIR = join(__dirname, '..', 'lambdas', 'detectors');
const CASES_DIR = join(__dirname, 'detectors');

/**
 * Every registered detector's cases, found by its id: `test/detectors/<id>.cases.ts` exporting
 * `cases`. Nobody keeps a second list: a detector without its file fails here.
 */
const CASES: Readonly<Record<string, readonly DetectorCase[]>> = Object.fromEntries(
  DETECTORS.map((d) => {
    const file = join(CASES_DIR, `${d.id}.cases.ts`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cases = existsSync(file) ? ((require(file) as { cases?: readonly DetectorCase[] }).cases ?? []) : [];
    return [d.id, cases];
  }),
);

type Json = Record<string, unknown>;

/** Parses a raw record, failing the test with the parser's reason on a rejection; null when ignored. */
function parseOrFail(raw: unknown, what: string): ParsedCall | null {
  const result = parseRecord(raw);
  if (result.kind === 'rejected') throw new Error(`${what}: the parser rejected the record: ${result.reason}`);
  return result.kind === 'ignored' ? null : result;
}

/** One batch of one call, with the clock at the call's event time (as replay runs it). */
function runOne(call: ParsedCall, ports: EnginePorts, config: CompiledConfig): Promise<BatchResult> {
  return processBatch([call], ports, config, { now: () => call.eventTime });
}

/** Processes the case's history (one batch each), then its record; the record's findings. */
async function findingsOf(detectorId: string, c: DetectorCase): Promise<Finding[]> {
  const base = loadConfig({ ...CASE_BASE_CONFIG, ...(c.config ?? {}) });
  const config = c.registry ? withCustomerRegistry(base, registryOf(c.registry)) : base;
  const store: EnginePorts = { state: new MemoryStore(), ledger: new MemoryLedger() };
  for (const [i, raw] of (c.history ?? []).entries()) {
    const call = parseOrFail(raw, `history[${i}]`);
    if (call) await runOne(call, store, config);
  }
  const call = parseOrFail(c.record, 'record');
  if (!call) return [];
  const result = await runOne(call, store, config);
  return result.findings.filter((f) => f.detector === detectorId);
}

describe.each(DETECTORS.map((d) => [d.id, d] as const))('%s', (id) => {
  const cases = CASES[id] ?? [];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // Given the case's configuration and history; when its record is processed
    const findings = await findingsOf(id, c);
    // Then the detector fires (with the case's severity) or stays quiet
    if (c.expect === 'quiet') {
      expect(findings.map((f) => `${f.severity}: ${f.cause}`)).toEqual([]);
      return;
    }
    expect(findings.length).toBeGreaterThanOrEqual(1);
    if (c.severity) expect(findings.map((f) => f.severity)).toContain(c.severity);
    for (const f of findings) {
      expect(f.cause).not.toBe('');
      expect(f.dedupKey.startsWith(`${id}|`)).toBe(true);
    }
  });
});

describe('detector registry', () => {
  it('has unique ids', () => {
    const ids = DETECTORS.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists every id, in order, in lambdas/core/detector-ids.ts, which the `detectors` key is checked against', () => {
    // Given the registry; then the configuration knows exactly its ids (add a new detector's id there)
    expect(DETECTOR_IDS).toEqual(DETECTORS.map((d) => d.id));
  });

  it.each(DETECTORS.map((d) => [d.id, d] as const))('names %s after its file, which exports it as `detector`', async (id, d) => {
    expect(existsSync(join(DETECTOR_DIR, `${id}.ts`))).toBe(true);
    const mod = (await import(join(DETECTOR_DIR, id))) as { detector?: Detector };
    expect(mod.detector).toBe(d);
  });

  it.each(DETECTORS.map((d) => [d.id] as const))('gives %s a cases file with a case that fires and one that stays quiet', (id) => {
    expect(existsSync(join(CASES_DIR, `${id}.cases.ts`))).toBe(true);
    const cases = CASES[id] ?? [];
    expect(cases.filter((c) => c.expect === 'fires').length).toBeGreaterThanOrEqual(1);
    expect(cases.filter((c) => c.expect === 'quiet').length).toBeGreaterThanOrEqual(1);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('has no cases file for a detector that is not registered', () => {
    const files = readdirSync(CASES_DIR).filter((f) => f.endsWith('.cases.ts')).map((f) => f.slice(0, -'.cases.ts'.length));
    expect(files.sort()).toEqual(DETECTORS.map((d) => d.id).sort());
  });

  it.each(DETECTORS.map((d) => [d.id, d] as const))('documents %s: title, description, runbook and a valid severity', (_id, d) => {
    for (const text of [d.title, d.description, d.runbook]) expect(text.trim()).not.toBe('');
    expect(SEVERITIES).toContain(d.severity);
  });
});

describe('AWS service self-calls never alert', () => {
  const config = loadConfig(CASE_BASE_CONFIG);
  const ASSUME: ReadonlySet<string> = new Set(ASSUME_ROLE_EVENT_NAMES);
  const SERVICE_SESSION_ARN = `arn:aws:sts::${OUTBOUND_ROLE.split(':')[4]}:assumed-role/outbound-integration/service-session`;

  /**
   * An AWS service's own call: its identity, or `invokedBy` naming it. The console signing a
   * person in (`signin.amazonaws.com`, `console.amazonaws.com`) is a person, not a service.
   */
  const isServiceCall = (r: unknown): boolean => {
    const identity = (r as Json | null)?.userIdentity as Json | undefined;
    if (identity === undefined) return false;
    const by = identity.invokedBy;
    return identity.type === 'AWSService' || (typeof by === 'string' && by !== 'signin.amazonaws.com' && by !== 'console.amazonaws.com');
  };

  /**
   * Makes a fixture record touch the monitored outbound role: an AssumeRole now assumes it; any
   * other call is made by one of its sessions (through the service, `invokedBy` kept).
   */
  const monitored = (raw: Json): Json => {
    const r = structuredClone(raw);
    const identity = { ...(r.userIdentity as Json) };
    if (ASSUME.has(r.eventName as string)) {
      r.requestParameters = { ...((r.requestParameters as Json | null) ?? {}), roleArn: OUTBOUND_ROLE };
      if (Array.isArray(r.resources)) {
        r.resources = (r.resources as Json[]).map((res) => (res.type === 'AWS::IAM::Role' ? { ...res, ...('arn' in res ? { arn: OUTBOUND_ROLE } : { ARN: OUTBOUND_ROLE }) } : res));
      }
    } else if (identity.type !== 'AWSService') {
      const context = (identity.sessionContext as Json | undefined) ?? {};
      Object.assign(identity, {
        type: 'AssumedRole',
        arn: SERVICE_SESSION_ARN,
        sessionContext: { ...context, sessionIssuer: { type: 'Role', arn: OUTBOUND_ROLE, accountId: OUTBOUND_ROLE.split(':')[4], userName: 'outbound-integration' } },
      });
    }
    r.userIdentity = identity;
    return r;
  };

  /** The same record without what marks it as a service's call. */
  const withoutServiceMarks = (r: Json): Json => {
    const identity = { ...(r.userIdentity as Json) };
    delete identity.invokedBy;
    if (identity.type === 'AWSService') delete identity.type;
    return { ...r, userIdentity: identity };
  };

  const records = fixtureRecords().filter((f) => isServiceCall(f.record));

  it('finds AWS service and invokedBy records in the fixtures', () => {
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(records.some((f) => f.file.startsWith('panther-analysis/') && ((f.record as Json).userIdentity as Json).type === 'AWSService')).toBe(true);
  });

  it.each(records.map((f) => [`${f.file}#${f.index}`, f.record as Json] as const))('%s, made to touch the outbound role, gives no finding', async (where, raw) => {
    // Given a fixture record of an AWS service (or a call through one) touching the outbound role
    const record = monitored(raw);
    const call = parseOrFail(record, where);
    expect(call).not.toBeNull();
    // (without the service marks, the engine would look at it)
    expect(select(parseOrFail(withoutServiceMarks(record), where)!, config)).not.toBeNull();
    // When the engine processes it
    const result = await runOne(call!, { state: new MemoryStore(), ledger: new MemoryLedger() }, config);
    // Then nothing fires
    expect(result.findings.map((f) => `${f.detector}: ${f.cause}`)).toEqual([]);
  });
});

describe('event fingerprints (what counters keep per event)', () => {
  it("are a CloudTrail UUID's whole 128 bits, 22 characters, distinct for distinct events", () => {
    // Given 50,000 random event IDs in CloudTrail's form
    const ids = Array.from({ length: 50_000 }, () => randomUUID());
    // When each is fingerprinted
    const prints = ids.map(eventFingerprint);
    // Then each is the ID's 32 hex digits in base64url, and no two collide
    expect(prints.every((p) => /^[A-Za-z0-9_-]{22}$/.test(p))).toBe(true);
    expect(prints.map((p, i) => Buffer.from(p, 'base64url').toString('hex') === ids[i]!.replace(/-/g, ''))).not.toContain(false);
    expect(new Set(prints).size).toBe(ids.length);
    expect(eventFingerprint(ids[0]!)).toBe(prints[0]);
  });

  it('tells apart UUIDs that differ only in their last group, so their events count twice', () => {
    // Given two event IDs that differ only in the last hex digit
    const first = '464922c6-53b7-4ae1-8c90-000000000001';
    const second = '464922c6-53b7-4ae1-8c90-000000000002';
    const key = { pk: 'volume#test', sk: 'w#1' };
    // When both are counted on one counter item
    const one = countOnce(key, first, undefined, 1);
    const two = countOnce(key, second, applyUpdate(undefined, one.update!), 1);
    // Then their fingerprints differ and the counter holds two events
    expect(eventFingerprint(first)).not.toBe(eventFingerprint(second));
    expect(two.count).toBe(2);
    expect(two.update).not.toBeNull();
  });

  it.each([
    ['derived-0123456789abcdef0123456789abcdef', 'a derived ID'],
    ['464922C6-53B7-4AE1-8C90-01A32857FC95', 'an upper-case UUID'],
    ['464922c6-53b7-4ae1-8c90-01a32857fc9g', 'a UUID with a stray letter'],
    ['464922c6-53b7-4ae1-8cx0-01a32857fc95', 'a UUID with a stray letter in its fourth group'],
    ['464922c6+53b7-4ae1-8c90-01a32857fc95', 'a UUID with a stray separator'],
  ])('hash anything else (%s: %s)', (id) => {
    // Given an ID that is not a lower-case UUID
    // When it is fingerprinted
    const print = eventFingerprint(id);
    // Then it is the first 22 characters (132 bits) of its SHA-256 in base64url
    expect(print).toBe(createHash('sha256').update(id).digest('base64url').slice(0, 22));
  });
});
