import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding, type BatchImportFindingsCommandInput } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { attackMapping } from '../lambdas/core/attack';
import { toAsff } from '../lambdas/delivery/asff';
import { AlertPublishError } from '../lambdas/delivery/publisher';
import { SecurityHubPublisher } from '../lambdas/delivery/securityhub-publisher';
import type { Alert } from '../lambdas/engine/alerts';
import { humanAlert, type AlertOverrides } from './support/alerts';

const ACCOUNT = '210987654321';
const CUSTOMER = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/outbound-eu`;
const TARGET = { accountId: ACCOUNT, region: 'eu-west-1' };
const PRODUCT_ARN = `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`;
const NOW = Date.parse('2024-08-01T10:05:00Z');
const CLOCK = { now: () => NOW };
/** "Up to 240 KB per finding, and up to 6 MB per batch", read as the smaller byte counts. */
const FINDING_LIMIT = 240_000;
const REQUEST_LIMIT = 6_000_000;

const securityHub = mockClient(SecurityHubClient);

/** An alert as the engine makes one, about a customer account, with its ATT&CK mapping; `i` varies the alertId and event ID. */
function alert(i = 0, over: AlertOverrides = {}): Alert {
  return humanAlert(i, { attack: [attackMapping({ tactic: 'TA0004', technique: 'T1078.004' })], ...over, evidence: { targetAccountId: CUSTOMER, ...over.evidence } });
}

/** Answers every finding as imported. */
function acceptAll(): void {
  securityHub.on(BatchImportFindingsCommand).callsFake((input: BatchImportFindingsCommandInput) => ({ SuccessCount: input.Findings?.length ?? 0, FailedCount: 0, FailedFindings: [] }));
}

function findings(): AwsSecurityFinding[] {
  return securityHub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings ?? []);
}

function publisher(): SecurityHubPublisher {
  return new SecurityHubPublisher(new SecurityHubClient({}), TARGET, { clock: CLOCK });
}

function bytesOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

beforeEach(() => securityHub.reset());

describe('toAsff', () => {
  it('renders an alert as a finding of the account\'s own product, keyed by the alertId', () => {
    // Given an alert of two events
    const a = alert(1, { evidence: { eventTimes: ['2024-08-01T10:00:00Z', '2024-08-01T10:03:30Z'], eventIds: ['ev-1', 'ev-2'] } });
    // When it is rendered
    const f = toAsff(a, TARGET, { now: NOW });
    // Then it carries the identity, times and text Security Hub requires
    expect(f).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: a.alertId,
      ProductArn: PRODUCT_ARN,
      ProductName: 'assumerole-watch',
      CompanyName: 'assumerole-watch',
      GeneratorId: 'assumerole-watch/human-principal',
      AwsAccountId: ACCOUNT,
      CreatedAt: '2024-08-01T10:03:30.000Z',
      FirstObservedAt: '2024-08-01T10:00:00.000Z',
      LastObservedAt: '2024-08-01T10:03:30.000Z',
      UpdatedAt: '2024-08-01T10:03:30.000Z',
      Title: a.title,
      Description: a.cause,
      Remediation: { Recommendation: { Text: a.runbook } },
      SourceUrl: 'https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events/ev-1',
      RecordState: 'ACTIVE',
    });
    expect(f.Remediation!.Recommendation).not.toHaveProperty('Url');
  });

  it('gives severity and types in FindingProviderFields only, and leaves the workflow to the customer', () => {
    // Given an alert mapped to two ATT&CK techniques from a detector that learns a baseline
    const a = alert(1, {
      detector: 'source-ip',
      severity: 'critical',
      attack: [attackMapping({ tactic: 'TA0001', technique: 'T1078.004' }), attackMapping({ tactic: 'TA0005', technique: 'T1550.001' })],
    });
    // When it is rendered
    const f = toAsff(a, TARGET, { now: NOW });
    // Then the provider's fields hold them, in ASFF's namespace/category/classifier form
    expect(f.FindingProviderFields).toEqual({
      Severity: { Label: 'CRITICAL', Original: 'critical' },
      Types: ['TTPs/Initial Access/T1078.004 - Cloud Accounts', 'TTPs/Defense Evasion/T1550.001 - Application Access Token', 'Unusual Behaviors/IP address/source-ip'],
    });
    expect(f).not.toHaveProperty('Severity');
    expect(f).not.toHaveProperty('Types');
    expect(f).not.toHaveProperty('Workflow');
    expect(f).not.toHaveProperty('Note');
    expect(f).not.toHaveProperty('UserDefinedFields');
  });

  it('keeps a technique name with a slash to one classifier', () => {
    // Given the region detector's technique, T1535 Unused/Unsupported Cloud Regions
    const a = alert(1, { detector: 'region', attack: [attackMapping({ tactic: 'TA0005', technique: 'T1535' })] });
    // When it is rendered
    const types = toAsff(a, TARGET, { now: NOW }).FindingProviderFields!.Types!;
    // Then the type has three levels
    expect(types).toEqual(['TTPs/Defense Evasion/T1535 - Unused-Unsupported Cloud Regions']);
  });

  it('names the role, the customer account and the caller as resources', () => {
    // When an alert about an IAM user assuming the role into a customer account is rendered
    const f = toAsff(alert(1), TARGET, { now: NOW });
    // Then
    expect(f.Resources).toEqual([
      { Type: 'AwsIamRole', Id: ROLE, Partition: 'aws', Region: 'eu-west-1', ResourceRole: 'Target' },
      { Type: 'AwsAccount', Id: `AWS::::Account:${CUSTOMER}`, Partition: 'aws', Region: 'eu-west-1', ResourceRole: 'Target' },
      { Type: 'Other', Id: `arn:aws:iam::${ACCOUNT}:user/alice`, Partition: 'aws', Region: 'eu-west-1', ResourceRole: 'Actor', Details: { Other: { principalType: 'IAMUser' } } },
    ]);
  });

  it('leaves the caller out when it is the role, and falls back to the importing account when no resource is named', () => {
    // Given an alert about the role as a whole, and one that names nothing
    const aboutRole = alert(1, { evidence: { principalArn: ROLE, targetAccountId: null } });
    const aboutNothing = alert(2, { evidence: { principalArn: null, roleArn: null, targetAccountId: null } });
    // When they are rendered
    // Then
    expect(toAsff(aboutRole, TARGET, { now: NOW }).Resources!.map((r) => r.Type)).toEqual(['AwsIamRole']);
    expect(toAsff(aboutNothing, TARGET, { now: NOW }).Resources).toEqual([{ Type: 'AwsAccount', Id: `AWS::::Account:${ACCOUNT}`, Partition: 'aws', Region: 'eu-west-1' }]);
  });

  it('describes the call with the caller\'s IPv4 address, or an AWS service as the domain', () => {
    // Given calls from an IPv4 address, an IPv6 address, an AWS service and AWS Internal
    const render = (sourceIp: string): AwsSecurityFinding => toAsff(alert(1, { evidence: { sourceIp } }), TARGET, { now: NOW });
    // When they are rendered
    // Then
    expect(render('203.0.113.50').Action).toEqual({
      ActionType: 'AWS_API_CALL',
      AwsApiCallAction: { Api: 'AssumeRole', ServiceName: 'sts.amazonaws.com', CallerType: 'remoteip', RemoteIpDetails: { IpAddressV4: '203.0.113.50' }, FirstSeen: '2024-08-01T10:00:00.000Z', LastSeen: '2024-08-01T10:00:00.000Z' },
    });
    expect(render('2001:db8::1').Action!.AwsApiCallAction).not.toHaveProperty('RemoteIpDetails');
    expect(render('2001:db8::1').Action!.AwsApiCallAction!.CallerType).toBe('remoteip');
    expect(render('ec2.amazonaws.com').Action!.AwsApiCallAction).toMatchObject({ CallerType: 'domain', DomainDetails: { Domain: 'ec2.amazonaws.com' } });
    expect(render('AWS Internal').Action!.AwsApiCallAction).not.toHaveProperty('CallerType');
  });

  it('carries the alert\'s fields as string ProductFields', () => {
    // When
    const f = toAsff(alert(1), TARGET, { now: NOW });
    // Then
    expect(f.ProductFields).toMatchObject({
      ProviderName: 'assumerole-watch',
      alertId: alert(1).alertId,
      detector: 'human-principal',
      dedupKey: alert(1).dedupKey,
      occurrences: '1',
      eventIds: JSON.stringify(alert(1).evidence.eventIds),
      sessionKey: 'ASIAEXAMPLEKEY000001',
      userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11',
      alertSchemaVersion: '1',
      'details/reasons': '["IAM user"]',
      'details/failed': 'false',
      truncated: 'false',
    });
    for (const value of Object.values(f.ProductFields!)) expect(typeof value).toBe('string');
  });

  it('links the remediation to the runbook\'s page when it has one', () => {
    // Given a runbook with a link
    const a = alert(1, { runbook: 'Revoke the sessions; see https://runbooks.example.com/outbound-role.' });
    // When
    const f = toAsff(a, TARGET, { now: NOW });
    // Then
    expect(f.Remediation!.Recommendation).toEqual({ Text: a.runbook, Url: 'https://runbooks.example.com/outbound-role' });
  });

  it('cuts a runbook longer than the recommendation field with a marker, keeps it whole beside, and does not call the alert truncated', () => {
    // Given a runbook of 900 characters (target-role's is about that long)
    const a = alert(1, { runbook: `Ask the customer. ${'Check the role. '.repeat(55)}` });
    // When
    const f = toAsff(a, TARGET, { now: NOW });
    // Then
    expect(f.Remediation!.Recommendation!.Text).toHaveLength(512);
    expect(f.Remediation!.Recommendation!.Text!.endsWith('…')).toBe(true);
    expect(f.ProductFields!.runbook).toBe(a.runbook);
    expect(f.ProductFields!.truncated).toBe('false');
  });

  it('renders the same finding again later, so a retry creates it once and otherwise changes nothing', () => {
    // Given an alert rendered once
    const a = alert(4);
    const first = toAsff(a, TARGET, { now: NOW });
    // When the same alert is rendered again a minute later (a retry, a redelivery)
    const again = toAsff(a, TARGET, { now: NOW + 60_000 });
    // Then it is the same document: Id = alertId, and CreatedAt = UpdatedAt = the last event time, as a new finding needs
    expect(again.Id).toBe(a.alertId);
    expect(again).toEqual(first);
    expect(first.UpdatedAt).toBe(first.CreatedAt);
    expect(first.CreatedAt).toBe(first.LastObservedAt);
  });

  it('keeps attacker text exact within ASFF\'s field limits, cut with a marker where it is longer', () => {
    // Given attacker text in every field an attacker can reach, some of it longer than ASFF allows
    const hostile = 'evil\nBcc: soc@example.com \u001b[31mRED \u202efdp.exe <script>x</script> lone \ud800 high';
    const a = alert(7, {
      title: `Human assumed outbound role ${hostile}${'T'.repeat(400)}`,
      cause: `cause ${hostile}${'C'.repeat(2_000)}`,
      runbook: `Revoke. ${'R'.repeat(600)}`,
      dedupKey: `human-principal|${hostile}`,
      evidence: {
        eventName: `Assume${'E'.repeat(300)}`,
        principalType: `AssumedRole${hostile}`,
        principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/outbound-eu/${hostile}${'P'.repeat(3_000)}`,
        sourceIp: hostile,
        userAgent: `${hostile}${'U'.repeat(5_000)}`,
        sessionKey: hostile,
        awsRegion: `eu-west-1${hostile}`,
        details: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`key${i}`, `${hostile}${i}`])),
      },
    });
    // When it is rendered
    const f = toAsff(a, TARGET, { now: NOW });
    // Then every field is within its limit
    expect(f.Title!.length).toBeLessThanOrEqual(256);
    expect(f.Description!.length).toBeLessThanOrEqual(1_024);
    expect(f.Remediation!.Recommendation!.Text!.length).toBeLessThanOrEqual(512);
    expect(f.Id!.length).toBeLessThanOrEqual(512);
    expect(f.GeneratorId!.length).toBeLessThanOrEqual(512);
    expect(f.FindingProviderFields!.Severity!.Original!.length).toBeLessThanOrEqual(64);
    expect(f.FindingProviderFields!.Types!.length).toBeLessThanOrEqual(50);
    expect(f.Action!.AwsApiCallAction!.Api!.length).toBeLessThanOrEqual(128);
    expect(Object.keys(f.ProductFields!).length).toBeLessThanOrEqual(50);
    for (const [key, value] of Object.entries(f.ProductFields!)) {
      expect(key.length).toBeLessThanOrEqual(128);
      expect(value.length).toBeLessThanOrEqual(2_048);
    }
    for (const r of f.Resources!) expect(r.Region!.length).toBeLessThanOrEqual(16);
    // … what was cut keeps its start and ends with the marker, and the finding says so
    expect(f.Title!.startsWith(`Human assumed outbound role ${hostile}`)).toBe(true);
    expect(f.Title!.endsWith('…')).toBe(true);
    expect(f.Description!.startsWith(`cause ${hostile}`)).toBe(true);
    expect(f.Remediation!.Recommendation!.Text!.endsWith('…')).toBe(true);
    expect(f.ProductFields!.userAgent!.startsWith(hostile)).toBe(true);
    expect(f.ProductFields!.truncated).toBe('true');
    // … and what fits is exact
    expect(f.ProductFields!.sourceIp).toBe(hostile);
    expect(f.ProductFields!.sessionKey).toBe(hostile);
    expect(f.ProductFields!.dedupKey).toBe(a.dedupKey);
    expect(f.ProductFields!['details/key0']).toBe(`${hostile}0`);
    expect(f.Resources!.find((r) => r.ResourceRole === 'Actor')!.Details!.Other!.principalType).toBe(`AssumedRole${hostile}`);
    // … a region that is not one stays out of the resources, and a source that is not an address out of the action
    expect(f.Resources!.every((r) => r.Region === 'eu-west-1')).toBe(true);
    expect(f.Action!.AwsApiCallAction).not.toHaveProperty('CallerType');
  });

  it('names a forged role ARN as an Other resource, cut to an ARN\'s length', () => {
    // Given a role ARN no IAM would write, from a forged request parameter
    const forged = `arn:aws:iam::${ACCOUNT}:role/outbound\n${'x'.repeat(3_000)}`;
    // When
    const role = toAsff(alert(1, { evidence: { roleArn: forged } }), TARGET, { now: NOW }).Resources![0]!;
    // Then
    expect(role.Type).toBe('Other');
    expect(role.Id!.length).toBe(2_048);
    expect(role.Id!.startsWith(`arn:aws:iam::${ACCOUNT}:role/outbound\n`)).toBe(true);
  });
});

describe('SecurityHubPublisher', () => {
  it('imports 101 alerts in two calls of at most 100', async () => {
    // Given
    acceptAll();
    const alerts = Array.from({ length: 101 }, (_, i) => alert(i));
    // When
    const result = await publisher().publish(alerts);
    // Then
    const calls = securityHub.commandCalls(BatchImportFindingsCommand);
    expect(calls.map((c) => c.args[0].input.Findings!.length).sort((x, y) => x - y)).toEqual([1, 100]);
    expect(findings().map((f) => f.Id).sort()).toEqual(alerts.map((a) => a.alertId).sort());
    expect(findings().every((f) => f.ProductArn === PRODUCT_ARN && f.AwsAccountId === ACCOUNT && f.UpdatedAt === f.CreatedAt)).toBe(true);
    expect(result.accepted.map((a) => a.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort());
    expect(result.accepted.every((a) => a.messageId === null && !a.truncated)).toBe(true);
    expect(result.failed).toEqual([]);
  });

  it('shortens an alert with a 300 KB session name, marks it, and still imports it', async () => {
    // Given
    acceptAll();
    const sessionName = `s${'N'.repeat(300 * 1024)}`;
    const a = alert(3, {
      evidence: {
        principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/outbound-eu/${sessionName}`,
        principalType: 'AssumedRole',
        details: { sessionName, reasons: Array.from({ length: 200 }, () => sessionName.slice(0, 5_000)) },
      },
    });
    expect(bytesOf(a)).toBeGreaterThan(300 * 1024);
    // When
    const result = await publisher().publish([a]);
    // Then
    expect(result.accepted).toEqual([{ alertId: a.alertId, messageId: null, truncated: true }]);
    const [f] = findings();
    expect(bytesOf(f)).toBeLessThanOrEqual(FINDING_LIMIT);
    expect(f!.Id).toBe(a.alertId);
    expect(f!.ProductFields!.truncated).toBe('true');
    expect(f!.ProductFields!['details/sessionName']!.startsWith('sNNN')).toBe(true);
    expect(f!.ProductFields!['details/sessionName']!.endsWith('…')).toBe(true);
  });

  it('shortens the evidence step by step when the fields alone make a finding too large, and keeps calls within 6 MB', async () => {
    // Given 60 alerts whose details are control characters, six bytes each in JSON (about 8 MB together)
    acceptAll();
    const controls = '\u0001'.repeat(2_048);
    const alerts = Array.from({ length: 60 }, (_, i) => alert(i, { evidence: { userAgent: controls, details: Object.fromEntries(Array.from({ length: 45 }, (_, k) => [`k${k}`, controls])) } }));
    // When
    const result = await publisher().publish(alerts);
    // Then every finding and every call is within the limits
    expect(result.accepted).toHaveLength(60);
    expect(result.accepted.every((a) => a.truncated)).toBe(true);
    for (const f of findings()) expect(bytesOf(f)).toBeLessThanOrEqual(FINDING_LIMIT);
    const calls = securityHub.commandCalls(BatchImportFindingsCommand);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const c of calls) expect(bytesOf(c.args[0].input)).toBeLessThanOrEqual(REQUEST_LIMIT);
  });

  it('reports a finding Security Hub refused by alertId, and the others of the call as accepted', async () => {
    // Given Security Hub refuses the second finding
    securityHub.on(BatchImportFindingsCommand).callsFake((input: BatchImportFindingsCommandInput) => ({
      SuccessCount: 2,
      FailedCount: 1,
      FailedFindings: [{ Id: input.Findings![1]!.Id, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding does not adhere to Amazon Finding Format.' }],
    }));
    const alerts = [alert(0), alert(1), alert(2)];
    // When
    const result = await publisher().publish(alerts);
    // Then
    expect(result.accepted.map((a) => a.alertId)).toEqual([alerts[0]!.alertId, alerts[2]!.alertId]);
    expect(result.failed).toEqual([{ alertId: alerts[1]!.alertId, code: 'InvalidInput', message: 'Finding does not adhere to Amazon Finding Format.', senderFault: true }]);
  });

  it('does not blame the request for a throttled finding', async () => {
    // Given
    securityHub.on(BatchImportFindingsCommand).callsFake((input: BatchImportFindingsCommandInput) => ({
      SuccessCount: 0,
      FailedCount: 1,
      FailedFindings: [{ Id: input.Findings![0]!.Id, ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    }));
    // When
    const result = await publisher().publish([alert(1)]);
    // Then
    expect(result.failed).toEqual([expect.objectContaining({ code: 'ThrottlingException', senderFault: false })]);
  });

  it('throws after the other calls finish when a call fails as a whole, telling what they imported', async () => {
    // Given the first call succeeds, the second is rejected
    securityHub.on(BatchImportFindingsCommand)
      .resolvesOnce({ SuccessCount: 100, FailedCount: 0, FailedFindings: [] })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' }));
    const alerts = Array.from({ length: 101 }, (_, i) => alert(i));
    // When
    const error = await publisher().publish(alerts).catch((e: unknown) => e);
    // Then
    expect(error).toBeInstanceOf(AlertPublishError);
    expect((error as AlertPublishError).message).toMatch(/1 of 2 BatchImportFindings calls failed \(LimitExceededException: Rate exceeded\)/);
    expect((error as AlertPublishError).partial.accepted).toHaveLength(100);
    expect((error as AlertPublishError).partial.failed).toEqual([]);
  });

  it('imports a repeated alertId once', async () => {
    // Given
    acceptAll();
    // When
    const result = await publisher().publish([alert(1), alert(1)]);
    // Then
    expect(findings()).toHaveLength(1);
    expect(result.accepted).toHaveLength(1);
  });

  it('makes no call, and no client, for no alerts', async () => {
    // Given a publisher that builds its client when first needed
    let built = 0;
    const lazy = new SecurityHubPublisher(() => {
      built += 1;
      return new SecurityHubClient({});
    }, TARGET);
    // When
    const result = await lazy.publish([]);
    // Then
    expect(securityHub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
    expect(built).toBe(0);
    expect(result).toEqual({ accepted: [], failed: [] });
  });
});
