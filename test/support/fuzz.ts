/**
 * Mutation fuzzing of the real CloudTrail records in test/fixtures, shared by `test/fuzz.test.ts`
 * (a seeded share) and `scripts/fuzz.ts` (the long run).
 *
 * A {@link Mutation} is a template (a fixture record, or one retargeted at a monitored role so the
 * detectors see it), record-level operations (field deletions, type swaps, huge values, lone
 * surrogates, nesting bombs, renamed and prototype keys), a container (the object itself, a bare
 * record, a log file, an EventBridge event, an array of events, JSON Lines) and text-level
 * operations on the mutant's own text (truncation, UTF-8 byte flips, inserted, deleted and repeated
 * slices). {@link checkMutation} runs one through the parser, the engine beside known-good records
 * and the alert renderers, and throws on any broken property.
 */
import fc from 'fast-check';
import { SUBJECT_MAX_LENGTH } from '../../lambdas/delivery/email';
import { toChatNotification } from '../../lambdas/delivery/chat';
import { renderAlert, SNS_MAX_MESSAGE_BYTES } from '../../lambdas/delivery/sns-publisher';
import { terminalJson, toRecord, toText } from '../../lambdas/delivery/format';
import { ADDRESSES, CUSTOMERS, iamUser, intoOutbound, outboundSession, outToCustomer, sessionCall } from './case-records';
import { loadConfig, type CompiledConfig } from '../../lambdas/core/config';
import type { Alert } from '../../lambdas/engine/alerts';
import { select, type Clock } from '../../lambdas/engine/engine';
import { processBatch, type BatchResult } from './engine';
import { parseDocument, parseRecord, parseText, type ParseResult } from '../../lambdas/core/parse';
import { ASSUME_ROLE_EVENT_NAMES, type Finding, type ParsedCall } from '../../lambdas/core/types';
import { MemoryLedger } from '../../lambdas/state/memory-ledger';
import { MemoryStore } from '../../lambdas/state/memory-store';
import { fixtureRecords } from './fixtures';

type Json = Record<string, unknown>;

/** A monitored role (matches the examples' `outbound-*`) that only mutants use: their state never meets the good records'. */
export const FUZZ_ROLE = 'arn:aws:iam::210987654321:role/outbound-fuzz';
/** How big a "huge" string is. */
export const HUGE_STRING_CHARS = 1 << 20;
const HUGE_ARRAY_ITEMS = 100_000;
const HUGE_OBJECT_KEYS = 20_000;
const MAX_PATHS = 400;
const MAX_PATH_DEPTH = 7;

// ---- what a mutation is ----------------------------------------------------------------------

/** A value a type swap puts in place. */
export type SwapValue = null | boolean | number | string | SwapValue[] | { [key: string]: SwapValue };

/** One record-level operation; `at` picks a path of the record (modulo their number). */
export type RecordOp =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'set'; readonly at: number; readonly field: string | null; readonly value: SwapValue }
  | { readonly kind: 'huge'; readonly at: number; readonly field: string | null; readonly what: 'string' | 'array' | 'object'; readonly unit: string }
  | { readonly kind: 'surrogate'; readonly at: number; readonly position: number; readonly code: number }
  | { readonly kind: 'nest'; readonly at: number; readonly shape: 'object' | 'array'; readonly depth: number }
  | { readonly kind: 'rename'; readonly at: number; readonly to: string };

/** One text-level operation on the mutant's serialised text; positions are fractions of its length. */
export type TextOp =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number };

/** How the mutant reaches the parser. */
export type Container = 'object' | 'record' | 'logfile' | 'eventbridge' | 'array' | 'jsonl';

/** One mutation case. */
export interface Mutation {
  readonly template: number;
  readonly ops: readonly RecordOp[];
  readonly container: Container;
  readonly textOps: readonly TextOp[];
}

// ---- arbitraries -----------------------------------------------------------------------------

/** Field names worth adding, renaming to, or shadowing (prototype keys included). */
const FIELDS = [
  'eventID', 'eventVersion', 'eventTime', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode',
  'errorMessage', 'requestParameters', 'responseElements', 'userIdentity', 'recipientAccountId', 'sharedEventID', 'resources',
  'roleArn', 'roleSessionName', 'externalId', 'durationSeconds', 'credentials', 'expiration', 'accessKeyId', 'assumedRoleUser',
  'arn', 'type', 'sessionContext', 'sessionIssuer', 'attributes', 'creationDate', 'mfaAuthenticated', 'invokedBy', 'principalId',
  'accountId', 'sourceIdentity', 'sessionCredentialFromConsole', 'vpcEndpointId', 'Records', 'detail', 'detail-type', 'source',
  'ARN', '__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'EventID', 'eventid', '', ' eventID',
];

/** Strings that mean something to the parser or the detectors. */
const INTERESTING = [
  '', ' ', '1.0', '1.00', '1.08', 'AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity', 'AssumedRole',
  'IAMUser', 'Root', 'AWSService', 'AWSAccount', 'SAMLUser', 'sts.amazonaws.com', 'AWS Internal', 'ec2.amazonaws.com',
  'signin.amazonaws.com', 'AccessDenied', 'true', 'false', 'null', '0', '-1', 'NaN', 'Infinity', FUZZ_ROLE,
  'arn:aws:iam::210987654321:role/outbound-*', 'arn:aws:iam::999988887777:role/customer', 'arn:aws:sts::210987654321:assumed-role/outbound-fuzz/x',
  '2024-08-01T10:00:00Z', '2024-08-01 10:00:00', '2024-02-30T10:00:00Z', '2024-08-01T25:61:61Z', '+275760-09-13T00:00:00Z',
  '9999-12-31T23:59:59.999999999+23:59', '0000-01-01T00:00:00Z', 'Aug 1, 2024, 11:45:22 AM', 'Feb 31, 2024, 13:99:99 PM', '1722507600',
  '203.0.113.50', '185.220.101.47', '10.0.0.1', '::1', '::ffff:1.2.3.4', '2001:db8::1', '256.256.256.256', '1.2.3.4/33', 'fe80::1%eth0',
  'a@b.co', 'aws-cli/2.17.20', 'User: x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/outbound-fuzz',
  '\u001b[31mred\u001b[0m', '\u202eevil', '<script>alert(1)</script>', '\r\nBcc: x@example.com', '\ud800', '\udfff', '\u0000',
  'derived-0', '~sha256:abc', 'alert#x', 'alertref#x', 'role#x', '#', '|', '\\', '"', '{"Records":[]}',
];

/** Single UTF-16 code units, lone surrogates included, weighted towards the troublesome ones. */
const codeUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\u001b', '\n', '\r', '\t', '\u007f', '\u0085', '\u009b', '\u200b', '\u200f', '\u2028', '\u202e', '\u2066', '\ufeff', '"', '\\', '{', '[') },
);

const fuzzString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
);

const swapValue: fc.Arbitrary<SwapValue> = fc.letrec<{ value: SwapValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 1722507600, 1722507600000, 3600),
    fuzzString,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...FIELDS.filter((f) => f !== '__proto__')), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const at = fc.nat();

const hugeOp = fc.record({
  kind: fc.constant('huge' as const),
  at,
  field: fc.option(fc.constantFrom(...FIELDS), { freq: 4 }),
  what: fc.constantFrom('string' as const, 'string' as const, 'array' as const, 'object' as const),
  unit: fc.constantFrom('A', '\u001b[31m', '\u202e', '\ud800', '\udc00x', '\ud83d\ude00', '\u0000', '"\\', 'é', '1.', ' '),
});

const nestOp = (depth: fc.Arbitrary<number>): fc.Arbitrary<RecordOp> => fc.record({ kind: fc.constant('nest' as const), at, shape: fc.constantFrom('object' as const, 'array' as const), depth });

// Huge values and deep nesting cost tens of milliseconds each (a 1 MiB string is serialised,
// parsed and rendered several times): rare per operation, so a run still meets thousands of them.
const recordOp: fc.Arbitrary<RecordOp> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ kind: fc.constant('delete' as const), at }) },
  { weight: 60, arbitrary: fc.record({ kind: fc.constant('set' as const), at, field: fc.option(fc.constantFrom(...FIELDS), { freq: 3 }), value: swapValue }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('surrogate' as const), at, position: fc.nat(), code: fc.integer({ min: 0xd800, max: 0xdfff }) }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('rename' as const), at, to: fc.constantFrom(...FIELDS) }) },
  { weight: 8, arbitrary: nestOp(fc.integer({ min: 2, max: 200 })) },
  { weight: 2, arbitrary: hugeOp },
  { weight: 1, arbitrary: nestOp(fc.integer({ min: 1_000, max: 100_000 })) },
);

const fraction = fc.integer({ min: 0, max: 10_000 });

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('flip' as const), at: fraction, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fraction, text: fc.oneof(fc.constantFrom('\n', '\r\n', '"', '\\', '{', '}', '[', ']', ',', ':', '\u0000', '\ufeff', '\u2028', '\ud800', ' ', 'null'), fuzzString) }),
  fc.record({ kind: fc.constant('delete' as const), at: fraction, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fraction, length: fc.integer({ min: 1, max: 256 }) }),
);

/** Every mutation case. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  template: fc.nat(),
  ops: fc.array(recordOp, { minLength: 0, maxLength: 4 }),
  container: fc.constantFrom<Container>('object', 'record', 'logfile', 'eventbridge', 'array', 'jsonl'),
  textOps: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(textOp, { minLength: 1, maxLength: 3 }) }),
});

// ---- applying a mutation ---------------------------------------------------------------------

/** Marks a nesting bomb inside a mutant, so each side builds it its own way (object or text). */
const NEST_MARK = '\u0000fuzz-nest\u0000';

function nestMark(shape: 'object' | 'array', depth: number): string {
  return `${NEST_MARK}${shape}:${depth}${NEST_MARK}`;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function define(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Paths of a value, depth first, bounded in number and depth (huge arrays are not walked). */
function pathsOf(value: unknown): (string | number)[][] {
  const out: (string | number)[][] = [[]];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (out.length >= MAX_PATHS || path.length >= MAX_PATH_DEPTH) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < Math.min(v.length, 20) && out.length < MAX_PATHS; i++) {
        out.push([...path, i]);
        walk(v[i], [...path, i]);
      }
    } else if (isObject(v)) {
      for (const k of Object.keys(v)) {
        if (out.length >= MAX_PATHS) return;
        out.push([...path, k]);
        walk(v[k], [...path, k]);
      }
    }
  };
  walk(value, []);
  return out;
}

/** A deep copy the mutations may change (the templates are shared). */
function copy(value: unknown): unknown {
  return structuredClone(value);
}

function hugeValue(what: 'string' | 'array' | 'object', unit: string): unknown {
  if (what === 'string') return unit.repeat(Math.ceil(HUGE_STRING_CHARS / unit.length));
  if (what === 'array') return new Array<unknown>(HUGE_ARRAY_ITEMS).fill(unit);
  const o: Json = {};
  for (let i = 0; i < HUGE_OBJECT_KEYS; i++) o[`k${i}`] = unit;
  return o;
}

/** Applies the record-level operations; the root itself may be replaced. */
export function mutateRecord(template: unknown, ops: readonly RecordOp[]): unknown {
  const box: Json = { root: copy(template) };
  for (const op of ops) {
    const paths = pathsOf(box.root).map((p) => ['root', ...p]);
    const path = paths[op.at % paths.length]!;
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], box) as Json | unknown[];
    const key = path[path.length - 1]!;
    const current = (parent as Record<string | number, unknown>)[key];
    const put = (value: unknown, field: string | null = null): void => {
      if (field !== null && isObject(current)) define(current, field, value);
      else if (Array.isArray(parent)) parent[key as number] = value;
      else define(parent, key as string, value);
    };
    switch (op.kind) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (path.length > 1) delete parent[key as string];
        break;
      case 'set':
        put(op.value, op.field);
        break;
      case 'huge':
        put(hugeValue(op.what, op.unit), op.field);
        break;
      case 'surrogate': {
        const s = typeof current === 'string' ? current : 'x';
        const i = op.position % (s.length + 1);
        put(`${s.slice(0, i)}${String.fromCharCode(op.code)}${s.slice(i)}`);
        break;
      }
      case 'nest':
        put(nestMark(op.shape, op.depth));
        break;
      case 'rename':
        if (isObject(parent) && path.length > 1 && key !== op.to) {
          delete parent[key as string];
          define(parent, op.to, current);
        }
        break;
    }
  }
  return box.root;
}

/** A nesting bomb as a value, built without recursion. */
function nestedValue(shape: 'object' | 'array', depth: number): unknown {
  let v: unknown = shape === 'object' ? { leaf: 1 } : [1];
  for (let i = 0; i < depth; i++) v = shape === 'object' ? { a: v } : [v];
  return v;
}

function nestedText(shape: 'object' | 'array', depth: number): string {
  return shape === 'object' ? `${'{"a":'.repeat(depth)}{"leaf":1}${'}'.repeat(depth)}` : `${'['.repeat(depth)}[1]${']'.repeat(depth)}`;
}

const NEST_IN_VALUE = new RegExp(`^${NEST_MARK}(object|array):(\\d+)${NEST_MARK}$`);
const NEST_IN_JSON = /"\\u0000fuzz-nest\\u0000(object|array):(\d+)\\u0000fuzz-nest\\u0000"/g;

/** The mutant as an object: nesting marks become real nested values (walked without recursion). */
export function materialise(value: unknown): unknown {
  const resolve = (v: unknown): unknown => {
    const m = typeof v === 'string' ? NEST_IN_VALUE.exec(v) : null;
    return m ? nestedValue(m[1] as 'object' | 'array', Number(m[2])) : v;
  };
  const root = resolve(value);
  const stack: unknown[] = [value === root ? root : undefined];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      if (v.length > 1000) continue; // huge fillers hold no marks
      for (let i = 0; i < v.length; i++) {
        const r = resolve(v[i]);
        if (r !== v[i]) v[i] = r;
        else stack.push(v[i]);
      }
    } else if (isObject(v)) {
      for (const k of Object.keys(v)) {
        const r = resolve(v[k]);
        if (r !== v[k]) define(v, k, r);
        else stack.push(v[k]);
      }
    }
  }
  return root;
}

/** The mutant as JSON text: nesting marks become nested JSON text. */
export function serialise(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.replace(NEST_IN_JSON, (_, shape: 'object' | 'array', depth: string) => nestedText(shape, Number(depth)));
}

/** Applies the text-level operations (UTF-8 byte flips decode back with U+FFFD, as a reader would). */
export function mutateText(text: string, ops: readonly TextOp[]): string {
  let t = text;
  for (const op of ops) {
    const i = Math.floor((op.at / 10_000) * t.length);
    switch (op.kind) {
      case 'truncate':
        t = t.slice(0, i);
        break;
      case 'flip': {
        const bytes = Buffer.from(t, 'utf8');
        if (bytes.length === 0) break;
        const b = Math.floor((op.at / 10_000) * (bytes.length - 1));
        bytes[b] = bytes[b]! ^ op.mask;
        t = bytes.toString('utf8');
        break;
      }
      case 'insert':
        t = `${t.slice(0, i)}${op.text}${t.slice(i)}`;
        break;
      case 'delete':
        t = `${t.slice(0, i)}${t.slice(i + op.length)}`;
        break;
      case 'repeat':
        t = `${t.slice(0, i + op.length)}${t.slice(i, i + op.length)}${t.slice(i + op.length)}`;
        break;
    }
  }
  return t;
}

function envelope(recordText: string, id: string): string {
  return `{"version":"0","id":${JSON.stringify(id)},"detail-type":"AWS API Call via CloudTrail","source":"aws.sts","account":"210987654321","time":"2024-08-01T10:00:00Z","region":"eu-west-1","resources":[],"detail":${recordText}}`;
}

// ---- the world a mutation runs in ------------------------------------------------------------

/** Templates, the known-good records and what the engine makes of them alone. */
export interface FuzzWorld {
  readonly templates: readonly unknown[];
  readonly config: CompiledConfig;
  readonly clock: Clock;
  /** Known-good raw records: they fire several detectors in the examples' configuration. */
  readonly goods: readonly Json[];
  readonly goodTexts: readonly string[];
  readonly goodResults: readonly ParseResult[];
  readonly goodCalls: readonly ParsedCall[];
  readonly goodIds: ReadonlySet<string>;
  readonly baseline: { readonly findings: string; readonly alerts: string; readonly result: BatchResult };
}

/** A fixture record retargeted so that it calls into a monitored role (its request names the role). */
function intoMonitored(record: Json): Json {
  const r = copy(record) as Json;
  if (isObject(r.requestParameters)) r.requestParameters = { ...r.requestParameters, roleArn: FUZZ_ROLE };
  else r.resources = [{ type: 'AWS::IAM::Role', ARN: FUZZ_ROLE, accountId: '210987654321' }];
  if (typeof r.eventID === 'string') r.eventID = `${r.eventID}-into`;
  return r;
}

/** A fixture record retargeted so that a monitored role's session made it. */
function outOfMonitored(record: Json): Json {
  const r = copy(record) as Json;
  const identity = isObject(r.userIdentity) ? r.userIdentity : {};
  const context = isObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isObject(context.sessionIssuer) ? context.sessionIssuer : {};
  r.userIdentity = { ...identity, type: 'AssumedRole', sessionContext: { ...context, sessionIssuer: { ...issuer, type: 'Role', arn: FUZZ_ROLE } } };
  if (typeof r.eventID === 'string') r.eventID = `${r.eventID}-out`;
  return r;
}

/** The mutation templates: every fixture record, and each AssumeRole or role-session one retargeted at {@link FUZZ_ROLE}. */
export function fuzzTemplates(): unknown[] {
  const out: unknown[] = [];
  const assume = new Set<string>(ASSUME_ROLE_EVENT_NAMES);
  for (const { record } of fixtureRecords()) {
    out.push(record);
    if (!isObject(record)) continue;
    if (typeof record.eventName === 'string' && assume.has(record.eventName)) out.push(intoMonitored(record));
    if (isObject(record.userIdentity) && (record.userIdentity.type === 'AssumedRole' || (typeof record.eventName === 'string' && assume.has(record.eventName)))) {
      out.push(outOfMonitored(record));
    }
  }
  return out;
}

/** Known-good records in the examples' bastion account: human, source-ip, external-id, session-locations findings. */
export function goodRecords(): Json[] {
  const T = '2024-08-01T10:';
  const session = outboundSession('backend-9a9a9a9a');
  return [
    intoOutbound({ time: `${T}00:00Z`, sourceIp: '54.247.81.112' }),
    intoOutbound({ time: `${T}01:00Z`, caller: iamUser('mallory'), userAgent: 'aws-cli/2.17.20 md/command#sts.assume-role' }),
    outToCustomer({ time: `${T}02:00Z`, caller: session, sourceIp: '54.247.81.112' }),
    outToCustomer({ time: `${T}03:00Z`, account: CUSTOMERS.globex, sourceIp: ADDRESSES.tor }),
    outToCustomer({ time: `${T}04:00Z`, account: CUSTOMERS.initech, noExternalId: true, sourceIp: '18.200.143.27' }),
    sessionCall({ time: `${T}05:00Z`, caller: session, sourceIp: ADDRESSES.external }),
  ] as Json[];
}

const canonical = (items: readonly (Finding | Alert)[]): string => JSON.stringify(items);

/** Loads templates and goods and runs the goods alone once. */
export async function fuzzWorld(): Promise<FuzzWorld> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = loadConfig(require('../../examples/config.json') as Record<string, unknown>);
  const goods = goodRecords();
  const goodResults = goods.map((g) => parseRecord(g));
  const goodCalls = goodResults.filter((r): r is ParsedCall => r.kind === 'assume-role' || r.kind === 'session-activity');
  if (goodCalls.length !== goods.length) throw new Error('a known-good record does not parse');
  const now = Math.max(...goodCalls.map((c) => c.eventTime)) + 300_000;
  const clock: Clock = { now: () => now };
  const result = await processBatch(goodCalls, { state: new MemoryStore(), ledger: new MemoryLedger() }, config, clock);
  result.alerts.forEach(checkRendering);
  return {
    templates: fuzzTemplates(),
    config,
    clock,
    goods,
    goodTexts: goods.map((g) => JSON.stringify(g)),
    goodResults,
    goodCalls,
    goodIds: new Set(goodCalls.map((c) => c.eventId)),
    baseline: { findings: canonical(result.findings), alerts: canonical(result.alerts), result },
  };
}

// ---- checking one mutation -------------------------------------------------------------------

/** What one mutation gave, for the script's counts. */
export interface MutationOutcome {
  readonly results: readonly ParseResult[];
  readonly alertsRendered: number;
}

/** A broken property (as opposed to an exception escaping the code under test). */
export class PropertyViolation extends Error {
  override readonly name = 'PropertyViolation';
}

function violated(what: string): never {
  throw new PropertyViolation(what);
}

/** SNS Subject: printable ASCII, starting with a letter, digit or punctuation, at most 99 characters. */
export const VALID_SUBJECT = new RegExp(`^[\\x21-\\x7e][\\x20-\\x7e]{0,${SUBJECT_MAX_LENGTH - 1}}$`);
/** What must never reach an e-mail or a terminal raw: controls (but our own line breaks), bidi and invisible format characters, separators, spaces other than ASCII's, lone surrogates. */
export const UNSAFE_TEXT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00a0\u00ad\u061c\u1680\u180e\u2000-\u200f\u202a-\u202f\u205f\u2028\u2029\u2060-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb]|\p{Cs}|[\u{e0000}-\u{e007f}]/u;

/** Renders an alert every way it is rendered, checking what each rendering promises. */
export function checkRendering(alert: Alert): void {
  const text = toText(alert);
  if (UNSAFE_TEXT.test(text)) violated(`toText wrote an unsafe character: ${JSON.stringify(text.match(UNSAFE_TEXT)?.[0])}`);
  const line = terminalJson(toRecord(alert));
  if (UNSAFE_TEXT.test(line)) violated(`replay --json wrote an unsafe character: ${JSON.stringify(line.match(UNSAFE_TEXT)?.[0])}`);
  if (line !== JSON.stringify(toRecord(alert)) && JSON.stringify(JSON.parse(line)) !== JSON.stringify(toRecord(alert))) violated('replay --json does not parse back to the alert record');
  const rendered = renderAlert(alert);
  if (rendered.bytes > SNS_MAX_MESSAGE_BYTES) violated(`rendered alert is ${rendered.bytes} bytes`);
  if (!VALID_SUBJECT.test(rendered.subject ?? '')) violated(`invalid subject ${JSON.stringify(rendered.subject)}`);
  const message = JSON.parse(rendered.message) as { default: string; email: string };
  const record = JSON.parse(message.default) as { alertId: string; truncated: boolean; cause: string };
  if (record.alertId !== alert.alertId) violated('default message lost the alertId');
  if (!record.truncated && record.cause !== alert.cause) violated('default message changed the cause without truncating');
  if (UNSAFE_TEXT.test(message.email)) violated(`e-mail text holds an unsafe character: ${JSON.stringify(message.email.match(UNSAFE_TEXT)?.[0])}`);
  const chat = toChatNotification(alert).content;
  const chatText = [chat.title, chat.description, ...chat.nextSteps].join('\n');
  if (UNSAFE_TEXT.test(chatText)) violated(`chat notification holds an unsafe character: ${JSON.stringify(chatText.match(UNSAFE_TEXT)?.[0])}`);
  if (/<[!@#]/.test(chatText)) violated('chat notification holds a mention or link in angle brackets');
  for (const line of chat.description.split('\n')) if ((line.match(/`/g) ?? []).length % 2 !== 0) violated(`chat line with an open code span: ${JSON.stringify(line)}`);
}

function checkReasons(results: readonly ParseResult[]): void {
  for (const r of results) {
    if (r.kind === 'rejected' && (typeof r.reason !== 'string' || r.reason.trim() === '')) violated('a rejection without a reason');
  }
}

/** The mutation as the text a reader gets: the container holding the mutant, text operations applied to the mutant's part. */
export function mutationText(m: Mutation, world: FuzzWorld): string {
  return textOf(m, mutateRecord(world.templates[m.template % world.templates.length], m.ops), world).text;
}

function textOf(m: Mutation, mutant: unknown, world: FuzzWorld): { text: string; goodsBefore: number } {
  const own = serialise(mutant);
  const wrapped = m.container === 'eventbridge' || m.container === 'array' ? envelope(own, 'mutant') : own;
  return containerText(world, m.container === 'object' ? 'record' : m.container, mutateText(wrapped, m.textOps));
}

/** The container text holding the mutant (text ops already applied to the mutant's part) and how many goods precede it. */
function containerText(world: FuzzWorld, container: Exclude<Container, 'object'>, mutantText: string): { text: string; goodsBefore: number } {
  const goods = world.goodTexts.slice(0, 2);
  switch (container) {
    case 'record':
    case 'eventbridge':
      return { text: mutantText, goodsBefore: 0 };
    case 'logfile':
      return { text: `{"Records":[${[...goods, mutantText].join(',')}]}`, goodsBefore: goods.length };
    case 'array':
      return { text: `[${[...goods.map((g, i) => envelope(g, `good-${i}`)), mutantText].join(',')}]`, goodsBefore: goods.length };
    case 'jsonl':
      return { text: `${goods.join('\n')}\n\n${mutantText}\n`, goodsBefore: goods.length };
  }
}

/**
 * Runs one mutation: parse (never throws, every rejection has a reason), the engine over the
 * known-good calls plus the mutant's (the goods' findings and alerts unchanged), and every
 * alert and finding rendered. Throws {@link PropertyViolation} when a property breaks, and lets
 * any exception of the code under test through.
 */
export async function checkMutation(m: Mutation, world: FuzzWorld): Promise<MutationOutcome> {
  const mutant = mutateRecord(world.templates[m.template % world.templates.length], m.ops);
  let results: ParseResult[];
  if (m.container === 'object') {
    const value = materialise(mutant);
    results = [parseRecord(value, { file: 'fuzz', line: 1 })];
    checkReasons(parseDocument(value, null));
  } else {
    const { text, goodsBefore } = textOf(m, mutant, world);
    results = parseText(text, 'fuzz');
    // Goods before the mutant come through unchanged: always on their own lines, and in one document when only the record was mutated.
    const intact = m.container === 'jsonl' || m.textOps.length === 0;
    if (intact) {
      for (let i = 0; i < goodsBefore; i++) {
        const got = results[i];
        const want = world.goodResults[i]!;
        if (!got || got.kind !== want.kind || JSON.stringify(stripOrigin(got)) !== JSON.stringify(stripOrigin(want))) violated(`good record ${i} parsed differently beside the mutant`);
      }
    }
  }
  checkReasons(results);
  const mutantCalls = results.filter((r): r is ParsedCall => (r.kind === 'assume-role' || r.kind === 'session-activity') && !world.goodIds.has(r.eventId));
  // processBatch drops calls `select` refuses before anything else: only a selected mutant can touch the goods.
  if (!mutantCalls.some((c) => select(c, world.config) !== null)) return { results, alertsRendered: 0 };
  const batch = await processBatch([...world.goodCalls, ...mutantCalls], { state: new MemoryStore(), ledger: new MemoryLedger() }, world.config, world.clock);
  const touchesGood = (f: Finding): boolean => f.evidence.eventIds.some((id) => world.goodIds.has(id));
  if (canonical(batch.findings.filter(touchesGood)) !== world.baseline.findings) violated('the known-good records gave other findings beside the mutant');
  if (canonical(batch.alerts.filter(touchesGood)) !== world.baseline.alerts) violated('the known-good records gave other alerts beside the mutant');
  let alertsRendered = 0;
  for (const alert of batch.alerts) {
    if (touchesGood(alert)) continue; // rendered once, with the baseline
    checkRendering(alert);
    alertsRendered += 1;
  }
  return { results, alertsRendered };
}

function stripOrigin(r: ParseResult): unknown {
  const { origin: _origin, ...rest } = r as ParseResult & { origin?: unknown };
  return rest;
}

/** A rejection reason's class for counting: its field or kind, without indices and quoted values. */
export function reasonClass(reason: string): string {
  const head = reason.replace(/^(\[\d+\]: )+/, '').split(/:\s/, 1)[0]!;
  return head.replace(/, got .*$/, '').replace(/\s+\(.*$/, '').slice(0, 60);
}
