/**
 * The OCSF rendering of alerts (lambdas/delivery/ocsf.ts), checked against the OCSF 1.1.0
 * definition files themselves (test/fixtures/ocsf-schema-1.1.0, resolved by
 * test/support/ocsf-schema.ts): every alert of the demo, alerts built for the edge cases, and the
 * validator shown to catch each kind of mistake, so that "no problem" means something.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../cli/main';
import { replay } from '../cli/replay';
import { attackMapping, type AttackRef } from '../lambdas/core/attack';
import type { Evidence } from '../lambdas/core/types';
import { OCSF_VERSION, toOcsf, type OcsfDetectionFinding } from '../lambdas/delivery/ocsf';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { OcsfSchema, type OcsfReport } from './support/ocsf-schema';

const EXAMPLES = join(__dirname, '..', 'examples');
const labels = JSON.parse(readFileSync(join(EXAMPLES, 'labels.json'), 'utf8')) as unknown[];

/** The demo's alerts, replayed the way test/examples.test.ts does. */
async function demoAlerts(): Promise<Alert[]> {
  const alerts: Alert[] = [];
  await replay({ paths: [join(EXAMPLES, 'AWSLogs')], config: readConfig(join(EXAMPLES, 'config.json')), ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, batchSize: 100, onAlert: (a) => alerts.push(a) });
  return alerts;
}

/** An alert like the engine makes one: an outbound session assuming a customer's role from a new address. */
function alertOf(evidence: Partial<Evidence> = {}, rest: Partial<Alert> = {}): Alert {
  return {
    detector: 'source-ip',
    severity: 'high',
    title: 'Outbound role assumed from a new address',
    cause: 'session "backend-1" of "outbound-eu" called from 203.0.113.7, outside allowedCidrs',
    runbook: 'Revoke the session (deny by aws:TokenIssueTime) and find the host that holds it.',
    dedupKey: 'source-ip|arn:aws:iam::210987654321:role/outbound-eu|arn:aws:sts::210987654321:assumed-role/outbound-eu',
    attack: [attackMapping({ tactic: 'TA0001', technique: 'T1078.004' })],
    alertId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    occurrences: 1,
    evidence: {
      eventIds: ['6f0c2a4e-1b3d-4f5a-9c8e-7d6b5a4c3b2a'],
      eventTimes: ['2026-10-07T08:28:10.000Z'],
      eventName: 'AssumeRole',
      principalArn: 'arn:aws:sts::210987654321:assumed-role/outbound-eu/backend-1',
      principalType: 'AssumedRole',
      roleArn: 'arn:aws:iam::367407936570:role/VendorIntegrationRole',
      targetAccountId: '367407936570',
      sourceIp: '203.0.113.7',
      userAgent: 'aws-sdk-js/3.658.1 ua/2.1 api/sts#3.658.1',
      sessionKey: 'ASIATUF8U6Z98IVT6J3X',
      awsRegion: 'eu-west-1',
      details: { newAddress: '203.0.113.7', knownPrefixes: ['54.247.81.0/24'] },
      ...evidence,
    },
    ...rest,
  };
}

/** The finding as a consumer reads it: serialised and parsed back. */
const asJson = (finding: OcsfDetectionFinding): Record<string, any> => JSON.parse(JSON.stringify(finding)) as Record<string, any>;

let schema: OcsfSchema;
beforeAll(() => {
  schema = OcsfSchema.load();
});

/** The validator's report on a finding after `change` (applied to its JSON). */
function reportOn(change: (event: Record<string, any>) => void, alert: Alert = alertOf()): OcsfReport {
  const event = asJson(toOcsf(alert));
  change(event);
  return schema.validate(event);
}

/** Every JSON path in `value` that holds null. */
function nullsIn(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullsIn(v, `${path}[${i}]`));
  if (typeof value === 'object') return Object.entries(value as object).flatMap(([k, v]) => nullsIn(v, path ? `${path}.${k}` : k));
  return [];
}

describe('the demo alerts as OCSF Detection Findings', () => {
  let alerts: Alert[];
  beforeAll(async () => {
    alerts = await demoAlerts();
  });

  it('renders one finding per labelled incident', () => {
    // Given the demo's replay; then each of its alerts is there to render
    expect(alerts).toHaveLength(labels.length);
  });

  it('gives findings the OCSF 1.1.0 definition files accept, without a problem or a warning', () => {
    // Given every alert of the demo
    // When each is rendered and checked against the standard's files
    const reports = alerts.map((a) => ({ detector: a.detector, ...schema.validate(asJson(toOcsf(a))) }));
    // Then none has a problem, nor a warning (a mismatched caption, a deprecated attribute)
    expect(reports.filter((r) => r.problems.length > 0 || r.warnings.length > 0)).toEqual([]);
  });

  it('maps every finding to at least one ATT&CK technique', () => {
    // Given every alert of the demo; when rendered
    const findings = alerts.map((a) => toOcsf(a));
    // Then each finding_info names a technique
    for (const f of findings) expect(f.finding_info.attacks?.some((a) => /^T\d{4}$/.test(a.technique.uid))).toBe(true);
  });

  it('names every event of an alert in related_events and describes its first in the evidence', () => {
    // Given the demo's alerts that fold several events
    const folded = alerts.filter((a) => a.evidence.eventIds.length > 1);
    expect(folded.length).toBeGreaterThan(0);
    for (const alert of folded) {
      // When rendered
      const f = toOcsf(alert);
      // Then every event is related and the evidence is the first one's
      expect(f.finding_info.related_events.map((r) => r.uid)).toEqual(alert.evidence.eventIds);
      expect(f.evidences).toHaveLength(1);
      expect(f.evidences[0]!.api.request?.uid).toBe(alert.evidence.eventIds[0]);
    }
  });
});

describe('toOcsf', () => {
  it('renders an alert as a Detection Finding: class, activity, severity, status and times', () => {
    // Given a high alert; when rendered
    const f = toOcsf(alertOf({ eventTimes: ['2026-10-07T08:28:10.000Z', '2026-10-07T08:20:00.000Z'], eventIds: ['e-1', 'e-2'] }));
    // Then it is class 2004, created, high, new, timed by its events
    expect([f.class_uid, f.category_uid, f.activity_id, f.type_uid]).toEqual([2004, 2, 1, 200401]);
    expect([f.severity_id, f.severity, f.status_id, f.status]).toEqual([4, 'High', 1, 'New']);
    expect(f.time).toBe(Date.parse('2026-10-07T08:28:10.000Z'));
    expect([f.finding_info.first_seen_time, f.finding_info.last_seen_time]).toEqual([Date.parse('2026-10-07T08:20:00.000Z'), Date.parse('2026-10-07T08:28:10.000Z')]);
    expect(f.metadata).toMatchObject({ version: OCSF_VERSION, uid: f.finding_info.uid, profiles: ['cloud'] });
  });

  it.each([
    ['low', 2, 'Low'],
    ['medium', 3, 'Medium'],
    ['high', 4, 'High'],
    ['critical', 5, 'Critical'],
  ] as const)('gives a %s alert severity_id %i (%s)', (severity, id, caption) => {
    // Given an alert of that severity; when rendered
    const f = toOcsf(alertOf({}, { severity }));
    // Then OCSF's id and caption for it
    expect([f.severity_id, f.severity]).toEqual([id, caption]);
  });

  it('names T1078.004 as technique T1078 "Valid Accounts" with the sub-technique T1078.004 "Cloud Accounts"', () => {
    // Given a detector mapped to the sub-technique; when rendered
    const f = toOcsf(alertOf({}, { attack: [attackMapping({ tactic: 'TA0001', technique: 'T1078.004' })] }));
    // Then the parent technique and the sub-technique under its own name
    expect(f.finding_info.attacks).toEqual([
      { tactic: { uid: 'TA0001', name: 'Initial Access' }, technique: { uid: 'T1078', name: 'Valid Accounts' }, sub_technique: { uid: 'T1078.004', name: 'Cloud Accounts' } },
    ]);
  });

  it('gives a plain technique no sub_technique', () => {
    // Given a detector mapped to a technique without sub-technique; when rendered
    const f = toOcsf(alertOf({}, { attack: [attackMapping({ tactic: 'TA0001', technique: 'T1199' } satisfies AttackRef)] }));
    // Then no sub_technique key at all
    expect(f.finding_info.attacks).toEqual([{ tactic: { uid: 'TA0001', name: 'Initial Access' }, technique: { uid: 'T1199', name: 'Trusted Relationship' } }]);
    expect('sub_technique' in f.finding_info.attacks![0]!).toBe(false);
  });

  it('puts the principal, its session key, the address and the call in the evidence', () => {
    // Given an outbound session's AssumeRole; when rendered
    const [evidence] = toOcsf(alertOf()).evidences;
    // Then the actor is the session's principal, from its address, calling STS
    expect(evidence).toEqual({
      actor: {
        user: { uid: 'arn:aws:sts::210987654321:assumed-role/outbound-eu/backend-1', name: 'backend-1', type: 'AssumedRole', type_id: 99, account: { uid: '210987654321', type_id: 10, type: 'AWS Account' } },
        session: { credential_uid: 'ASIATUF8U6Z98IVT6J3X' },
      },
      src_endpoint: { ip: '203.0.113.7' },
      api: { operation: 'AssumeRole', service: { name: 'sts.amazonaws.com' }, request: { uid: '6f0c2a4e-1b3d-4f5a-9c8e-7d6b5a4c3b2a' } },
    });
  });

  it('gives an IAM user its name and its long-term key, with no session', () => {
    // Given an IAM user's call; when rendered
    const [evidence] = toOcsf(alertOf({ principalArn: 'arn:aws:iam::210987654321:user/ops/alice', principalType: 'IAMUser', sessionKey: 'AKIAIOSFODNN7EXAMPLE' })).evidences;
    // Then the user's name and key, and no session
    expect(evidence!.actor).toEqual({ user: { uid: 'arn:aws:iam::210987654321:user/ops/alice', name: 'alice', type: 'IAMUser', type_id: 99, account: { uid: '210987654321', type_id: 10, type: 'AWS Account' }, credential_uid: 'AKIAIOSFODNN7EXAMPLE' } });
  });

  it('lists the role and the target account as resources', () => {
    // Given an AssumeRole into a customer's role; when rendered
    const f = toOcsf(alertOf());
    // Then the role (with its partition and owner) and the account
    expect(f.resources).toEqual([
      { uid: 'arn:aws:iam::367407936570:role/VendorIntegrationRole', type: 'AWS::IAM::Role', name: 'VendorIntegrationRole', cloud_partition: 'aws', owner: { account: { uid: '367407936570', type_id: 10, type: 'AWS Account' } } },
      { uid: '367407936570', type: 'AWS::::Account' },
    ]);
  });

  it('keeps what OCSF has no attribute for under unmapped', () => {
    // Given an alert with details, a user agent and two folded findings; when rendered
    const f = toOcsf(alertOf({}, { occurrences: 2 }));
    // Then they are under unmapped, with the console link of each event
    expect(f.unmapped).toMatchObject({ occurrences: 2, details: { newAddress: '203.0.113.7' }, user_agent: 'aws-sdk-js/3.658.1 ua/2.1 api/sts#3.658.1', alert_schema_version: 1 });
    expect(f.unmapped.console_links).toEqual([{ event_uid: '6f0c2a4e-1b3d-4f5a-9c8e-7d6b5a4c3b2a', url: expect.stringContaining('#/events/6f0c2a4e-1b3d-4f5a-9c8e-7d6b5a4c3b2a') }]);
    expect(f.metadata.correlation_uid).toBe(alertOf().dedupKey);
  });

  it('renders an AWS service source as the endpoint\'s service name and domain, and still validates', () => {
    // Given a call EC2 made for the principal: CloudTrail writes the service in sourceIPAddress
    const alert = alertOf({ sourceIp: 'ec2.amazonaws.com' });
    // When rendered
    const f = toOcsf(alert);
    // Then no ip (an ip_t is an address) but the service, and the standard accepts it
    expect(f.evidences[0]!.src_endpoint).toEqual({ svc_name: 'ec2.amazonaws.com', domain: 'ec2.amazonaws.com' });
    expect(schema.validate(asJson(f))).toEqual({ problems: [], warnings: [] });
  });

  it.each([
    ['an IPv6 address', '2600:1f18:6f2:8c1a:4979:513a:4ef:3163', '2600:1f18:6f2:8c1a:4979:513a:4ef:3163'],
    ['an upper-case IPv6 address', 'FE80::1', 'fe80::1'],
    ['an IPv4-mapped IPv6 address written out in full (45 characters), as its IPv4 address', '0000:0000:0000:0000:0000:ffff:203.0.113.7', '203.0.113.7'],
  ])('writes %s in a form ip_t accepts', (_what, sourceIp, ip) => {
    // Given the address as CloudTrail logged it; when rendered
    const f = toOcsf(alertOf({ sourceIp }));
    // Then the same address in the form the detectors compare, within ip_t's regex and 40 characters
    expect(f.evidences[0]!.src_endpoint).toEqual({ ip });
    expect(schema.validate(asJson(f)).problems).toEqual([]);
  });

  it('renders AWS Internal as the endpoint\'s service name', () => {
    const f = toOcsf(alertOf({ sourceIp: 'AWS Internal' }));
    expect(f.evidences[0]!.src_endpoint).toEqual({ svc_name: 'AWS Internal' });
    expect(schema.validate(asJson(f)).problems).toEqual([]);
  });

  it('puts a source address that is neither an IP nor a service under unmapped, and still validates', () => {
    // Given an anonymised log's address (not an IPv4 address: 064 is no octet CloudTrail writes)
    const f = toOcsf(alertOf({ sourceIp: '255.18.064.253' }));
    // Then no src_endpoint, the text kept under unmapped, and a valid finding
    expect(f.evidences[0]!.src_endpoint).toBeUndefined();
    expect(f.unmapped.source_address).toBe('255.18.064.253');
    expect(schema.validate(asJson(f)).problems).toEqual([]);
  });

  it('keeps an attacker\'s control characters and long session name exactly, and still validates', () => {
    // Given a session name and user agent full of controls, escapes, bidi overrides and markup
    const session = `x\u0000\u001b[31m\n\r\t\u202e<!channel>"\\${'s'.repeat(4000)}\u2028end`;
    const userAgent = `Boto3/1.0 \u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 \ud83d\ude00`;
    const alert = alertOf({ principalArn: `arn:aws:sts::210987654321:assumed-role/outbound-eu/${session}`, userAgent });
    // When rendered and serialised
    const f = asJson(toOcsf(alert));
    // Then the strings come back exactly, and the standard accepts the finding
    expect(f.evidences[0].actor.user.name).toBe(session);
    expect(f.evidences[0].actor.user.uid).toBe(alert.evidence.principalArn);
    expect(f.unmapped.user_agent).toBe(userAgent);
    expect(schema.validate(f)).toEqual({ problems: [], warnings: [] });
  });

  it('cuts a string beyond string_t\'s 65,535 characters with a marker, and still validates', () => {
    // Given a forged log's session name longer than OCSF's string_t
    const session = 'a'.repeat(70_000);
    const f = asJson(toOcsf(alertOf({ principalArn: `arn:aws:sts::210987654321:assumed-role/outbound-eu/${session}` })));
    // Then it is cut to the limit, says so, and the finding validates
    expect([...f.evidences[0].actor.user.name].length).toBe(65_535);
    expect(f.evidences[0].actor.user.name).toMatch(/^a+…\[70000 characters, cut\]$/);
    expect(schema.validate(f).problems).toEqual([]);
  });

  it('replaces a lone surrogate, which UTF-8 cannot carry, and still validates', () => {
    // Given a title that holds half a surrogate pair (JSON.parse of a forged log allows it)
    const f = asJson(toOcsf(alertOf({}, { title: 'odd \ud800 name' })));
    // Then U+FFFD stands for it
    expect(f.message).toBe('odd \ufffd name');
    expect(schema.validate(f).problems).toEqual([]);
  });

  it('leaves out what does not apply rather than writing null', () => {
    // Given an alert that knows no principal ARN, address, role, account or user agent
    const alert = alertOf({ principalArn: null, principalType: 'Unknown', sourceIp: null, roleArn: null, targetAccountId: null, userAgent: null, sessionKey: null }, { attack: [] });
    // When rendered
    const f = asJson(toOcsf(alert));
    // Then no null anywhere, no empty resources or attacks, and still a valid finding
    expect(nullsIn(f)).toEqual([]);
    expect(f.resources).toBeUndefined();
    expect(f.finding_info.attacks).toBeUndefined();
    expect(f.evidences).toEqual([{ api: { operation: 'AssumeRole', service: { name: 'sts.amazonaws.com' }, request: { uid: '6f0c2a4e-1b3d-4f5a-9c8e-7d6b5a4c3b2a' } } }]);
    expect(schema.validate(f)).toEqual({ problems: [], warnings: [] });
  });

  it('names no service for a call whose name does not tell it', () => {
    // Given a monitored session's call other than AssumeRole; when rendered
    const f = toOcsf(alertOf({ eventName: 'ListUsers' }));
    // Then the operation only: the alert does not keep the event source
    expect(f.evidences[0]!.api).toEqual({ operation: 'ListUsers', request: { uid: '6f0c2a4e-1b3d-4f5a-9c8e-7d6b5a4c3b2a' } });
  });
});

describe('the OCSF validator', () => {
  it('accepts the finding the mistakes below are made in', () => {
    // Given a rendered alert; when checked unchanged; then nothing is reported
    expect(reportOn(() => undefined)).toEqual({ problems: [], warnings: [] });
  });

  it('resolves Detection Finding from the files: required finding_info from its class, metadata from base_event, cloud from its profile', () => {
    // Given the class resolved by class_uid 2004
    const cls = schema.classByUid(2004)!;
    // Then it has its own, its parents' and its profiles' attributes, and knows its category
    expect(cls.name).toBe('detection_finding');
    expect(cls.categoryUid).toBe(2);
    expect(cls.attributes.finding_info?.requirement).toBe('required');
    expect(cls.attributes.metadata?.requirement).toBe('required');
    expect(cls.attributes.cloud).toMatchObject({ requirement: 'required', profiles: ['cloud'] });
    expect(schema.object('analytic').attributes.type_id?.requirement).toBe('required');
  });

  it('reports a missing required attribute at the top level', () => {
    const report = reportOn((e) => delete e.severity_id);
    expect(report.problems).toEqual([expect.objectContaining({ path: 'severity_id', kind: 'required' })]);
  });

  it('reports a missing required attribute inside an object', () => {
    const report = reportOn((e) => delete e.finding_info.analytic.type_id);
    expect(report.problems).toEqual([expect.objectContaining({ path: 'finding_info.analytic.type_id', kind: 'required' })]);
  });

  it('reports a missing required attribute inside an object in an array', () => {
    const report = reportOn((e) => delete e.evidences[0].api.operation);
    expect(report.problems).toEqual([expect.objectContaining({ path: 'evidences[0].api.operation', kind: 'required' })]);
  });

  it('reports a string where an integer belongs', () => {
    const report = reportOn((e) => (e.severity_id = '4'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'severity_id', kind: 'type' })]);
  });

  it('reports a timestamp that is not a whole number of milliseconds', () => {
    const report = reportOn((e) => (e.finding_info.first_seen_time = '2026-10-07T08:28:10Z'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'finding_info.first_seen_time', kind: 'type' })]);
  });

  it('reports a value in an ip_t that is no IP address', () => {
    const report = reportOn((e) => (e.evidences[0].src_endpoint.ip = 'ec2.amazonaws.com'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'evidences[0].src_endpoint.ip', kind: 'format' })]);
  });

  it('reports an object where a list of them belongs', () => {
    const report = reportOn((e) => (e.resources = e.resources[0]));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'resources', kind: 'type' })]);
  });

  it('reports an enum id the enum does not list', () => {
    const report = reportOn((e) => (e.finding_info.analytic.type_id = 7));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'finding_info.analytic.type_id', kind: 'enum' })]);
  });

  it('reports a severity id beyond the enum, with its caption left as it was', () => {
    const report = reportOn((e) => (e.severity_id = 8));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'severity_id', kind: 'enum' })]);
  });

  it('reports an attribute the class does not define', () => {
    const report = reportOn((e) => (e.detector = 'source-ip'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'detector', kind: 'unknown' })]);
  });

  it('reports an attribute an object does not define', () => {
    const report = reportOn((e) => (e.evidences[0].actor.user.session_name = 'backend-1'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'evidences[0].actor.user.session_name', kind: 'unknown' })]);
  });

  it('reports the attributes of a profile the event does not declare in metadata.profiles', () => {
    // Given the finding without its cloud profile declared
    const report = reportOn((e) => (e.metadata.profiles = []));
    // Then cloud and the resources' cloud_partition are unknown to the class
    expect(report.problems.map((p) => [p.path, p.kind]).sort()).toEqual([
      ['cloud', 'unknown'],
      ['resources[0].cloud_partition', 'unknown'],
    ]);
  });

  it('requires what a declared profile requires', () => {
    // Given the security_control profile declared: its action_id is required
    const report = reportOn((e) => e.metadata.profiles.push('security_control'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'action_id', kind: 'required' })]);
  });

  it('reports a profile the schema does not define', () => {
    const report = reportOn((e) => e.metadata.profiles.push('aws'));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'metadata.profiles[1]', kind: 'profile' })]);
  });

  it('reports a type_uid that is not class_uid * 100 + activity_id', () => {
    // Given an Update type on a Create finding (each in its enum, the pair wrong)
    const report = reportOn((e) => (e.type_uid = 200402));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'type_uid', kind: 'rule' })]);
    expect(report.warnings).toEqual([expect.objectContaining({ path: 'type_name', kind: 'sibling' })]);
  });

  it('reports a type_uid of another class', () => {
    const report = reportOn((e) => (e.type_uid = 200101));
    expect(report.problems.map((p) => [p.path, p.kind])).toEqual([
      ['type_uid', 'enum'],
      ['type_uid', 'rule'],
    ]);
  });

  it('reports a category_uid that is not the class\'s category', () => {
    const report = reportOn((e) => (e.category_uid = 3));
    expect(report.problems.map((p) => [p.path, p.kind])).toEqual([
      ['category_uid', 'enum'],
      ['category_uid', 'rule'],
    ]);
  });

  it('reports a class_uid no class has', () => {
    const report = reportOn((e) => (e.class_uid = 2099));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'class_uid', kind: 'class' })]);
  });

  it('reports an object\'s constraint that fails', () => {
    // Given a user with neither uid, name nor account
    const report = reportOn((e) => (e.evidences[0].actor.user = { type: 'AssumedRole', type_id: 99 }));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'evidences[0].actor.user', kind: 'constraint' })]);
  });

  it('reports null where an attribute should be left out', () => {
    const report = reportOn((e) => (e.finding_info.desc = null));
    expect(report.problems).toEqual([expect.objectContaining({ path: 'finding_info.desc', kind: 'type' })]);
  });

  it('takes any attribute under unmapped, an object that defines none', () => {
    const report = reportOn((e) => (e.unmapped.anything = { goes: [1, 'two', null] }));
    expect(report).toEqual({ problems: [], warnings: [] });
  });

  it('warns of a deprecated attribute without calling the event invalid', () => {
    const report = reportOn((e) => (e.finding_info.analytic.related_analytics = []));
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([expect.objectContaining({ path: 'finding_info.analytic.related_analytics', kind: 'deprecated' })]);
  });

  it('warns of a caption that is not its id\'s', () => {
    const report = reportOn((e) => (e.severity = 'Critical'));
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([expect.objectContaining({ path: 'severity', kind: 'sibling' })]);
  });
});
