/**
 * The scheduled re-check's handler with STS and SNS faked at the SDK's boundary: it assumes the
 * outbound role (900 seconds, a policy allowing sts:AssumeRole alone), asks each registered role
 * without an external ID (900 seconds, a policy allowing nothing), a few at a time; a role that
 * accepts is an external-id alert on the alert topic, titled as the re-check's; a role it could
 * not ask fails the run after the others were asked.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { PublishBatchCommand, SNSClient, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient, STSServiceException, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { parseCustomerRegistry, type CustomerRegistry } from '../lambdas/core/customer-registry';
import { NOTHING_SESSION_POLICY, outboundSessionPolicy, PROBE_MAX_ATTEMPTS } from '../lambdas/core/role-probe';
import { SnsPublisher } from '../lambdas/delivery/sns-publisher';
import { detector as externalId } from '../lambdas/detectors/external-id';
import { RECHECK_ENVIRONMENT } from '../lambdas/recheck/contract';
import { recheckDependenciesFromEnvironment } from '../lambdas/recheck/environment';
import { createRecheckHandler, type RecheckHandlerDependencies } from '../lambdas/recheck/handler';

const OUTBOUND = 'arn:aws:iam::210987654321:role/outbound-eu';
const OUTBOUND_SESSION = 'arn:aws:sts::210987654321:assumed-role/outbound-eu/assumerole-watch-check-role';
const TOPIC = 'arn:aws:sns:eu-west-1:210987654321:alerts';
const EVENT = { id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa', 'detail-type': 'Scheduled Event', source: 'aws.events' };
const DIGEST = 'a'.repeat(64);

/** A registry export of `n` customers, one role each (and a second role for the first). */
function registry(n: number): CustomerRegistry {
  const lines = Array.from({ length: n }, (_, i) => {
    const account = String(300000000000 + i);
    return JSON.stringify({ tenantId: `t-${i}`, accountId: account, roleArn: `arn:aws:iam::${account}:role/VendorIntegration`, externalIdSha256: [DIGEST] });
  });
  lines.push(JSON.stringify({ tenantId: 't-0', accountId: '300000000000', roleArn: 'arn:aws:iam::300000000000:role/VendorAudit', externalIdSha256: [DIGEST] }));
  return parseCustomerRegistry(lines.join('\n')).registry;
}

/** STS's refusal. */
const refused = (roleArn: string): STSServiceException => new STSServiceException({ name: 'AccessDenied', $fault: 'client', message: `User: ${OUTBOUND_SESSION} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, $metadata: { httpStatusCode: 403 } });

/** An AssumeRole answer. */
function session(accessKeyId: string, arn: string) {
  return { Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date('2030-01-01T00:00:00Z') }, AssumedRoleUser: { Arn: arn, AssumedRoleId: 'AROAEXAMPLE:x' }, $metadata: { requestId: `req-${accessKeyId}` } };
}

/** A logger that keeps what it was told. */
function memoryLogger(): { logger: Logger; lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger, lines };
}

describe('the scheduled re-check', () => {
  let sts: AwsClientStub<STSClient>;
  let sns: AwsClientStub<SNSClient>;
  beforeEach(() => {
    sts = mockClient(STSClient);
    sns = mockClient(SNSClient);
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({ Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })), Failed: [] }));
  });
  afterEach(() => {
    sts.restore();
    sns.restore();
  });

  /** The dependencies over `reg`, the STS and SNS fakes, at a fixed clock. */
  function deps(reg: CustomerRegistry | null, concurrency?: number): RecheckHandlerDependencies & { lines: ReturnType<typeof memoryLogger>['lines'] } {
    const { logger, lines } = memoryLogger();
    return {
      registry: async () => reg,
      sts: (credentials) => new STSClient({ region: 'eu-west-1', ...(credentials === null ? {} : { credentials }) }),
      publisher: new SnsPublisher(new SNSClient({ region: 'eu-west-1' }), TOPIC),
      outboundRoleArn: OUTBOUND,
      detector: externalId,
      region: 'eu-west-1',
      now: () => Date.parse('2024-08-01T06:00:00Z'),
      ...(concurrency === undefined ? {} : { concurrency }),
      logger,
      lines,
    };
  }

  /** The customer roles accept only those given (the outbound role always). */
  function rolesAccepting(...accepting: string[]): void {
    sts.on(AssumeRoleCommand).callsFake((input: AssumeRoleCommandInput) => {
      if (input.RoleArn === OUTBOUND) return session('ASIAOUTBOUND', OUTBOUND_SESSION);
      if (accepting.includes(input.RoleArn!)) return session('ASIACUSTOMER', `arn:aws:sts::${input.RoleArn!.split(':')[4]}:assumed-role/x/assumerole-watch-check-role`);
      throw refused(input.RoleArn!);
    });
  }

  it('asks every registered role once, without an external ID, and alerts on none that refuses', async () => {
    // Given three customers (four roles), each refusing a request without an external ID
    rolesAccepting();
    const d = deps(registry(3));
    // When the schedule fires
    const outcome = await createRecheckHandler(d)(EVENT);
    // Then every role was asked and refused, and nothing was published
    expect(outcome).toMatchObject({ roles: 4, refused: 4, accepted: [], failed: [] });
    expect(sns.calls()).toHaveLength(0);
    expect(d.lines.find((l) => l.message === 're-check done')!.fields).toMatchObject({ roles: 4, refused: 4, accepted: 0, failed: 0 });
  });

  it('sends exactly the requests the docs promise: the outbound role first, then each role with no external ID and a policy allowing nothing', async () => {
    // Given two customers
    rolesAccepting();
    // When the re-check runs
    await createRecheckHandler(deps(registry(2)))(EVENT);
    // Then the outbound role is assumed with the function's own credentials, for 900 seconds, allowed sts:AssumeRole alone
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls[0]!.args[0].input).toEqual({ RoleArn: OUTBOUND, RoleSessionName: 'assumerole-watch-check-role', DurationSeconds: 900, Policy: outboundSessionPolicy(null) });
    expect(JSON.parse(outboundSessionPolicy(null))).toEqual({ Version: '2012-10-17', Statement: [{ Sid: 'AssumeCustomerRolesOnly', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:*:iam::*:role/*' }] });
    // And each customer role once, signed with the outbound session, without an external ID
    const customer = calls.slice(1);
    expect(customer.map((c) => c.args[0].input.RoleArn).sort()).toEqual(['arn:aws:iam::300000000000:role/VendorAudit', 'arn:aws:iam::300000000000:role/VendorIntegration', 'arn:aws:iam::300000000001:role/VendorIntegration']);
    for (const call of customer) {
      expect(call.args[0].input).toEqual({ RoleArn: call.args[0].input.RoleArn, RoleSessionName: 'assumerole-watch-check-role', DurationSeconds: 900, Policy: NOTHING_SESSION_POLICY });
      expect('ExternalId' in call.args[0].input).toBe(false);
      const client = call.thisValue as STSClient;
      expect((await client.config.credentials()).accessKeyId).toBe('ASIAOUTBOUND');
    }
    expect(JSON.parse(NOTHING_SESSION_POLICY)).toEqual({ Version: '2012-10-17', Statement: [{ Sid: 'Nothing', Effect: 'Deny', Action: '*', Resource: '*' }] });
  });

  it('publishes an external-id alert to the alert topic for a role that accepts no external ID, titled as the re-check\'s', async () => {
    // Given one role of three customers that lets the outbound role in without an external ID
    const open = 'arn:aws:iam::300000000001:role/VendorIntegration';
    rolesAccepting(open);
    const d = deps(registry(3));
    // When the re-check runs
    const outcome = await createRecheckHandler(d)(EVENT);
    // Then one alert, on the alert topic, as the external-id detector's
    expect(outcome.accepted).toEqual([open]);
    const entries = sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
    expect(sns.commandCalls(PublishBatchCommand)[0]!.args[0].input.TopicArn).toBe(TOPIC);
    expect(entries).toHaveLength(1);
    const record = JSON.parse((JSON.parse(entries[0]!.Message!) as { default: string }).default) as Record<string, any>;
    expect(record).toMatchObject({
      detector: 'external-id',
      severity: 'high',
      title: 'Customer role assumed without an external ID (found by the scheduled re-check)',
      runbook: externalId.runbook,
    });
    expect(record.cause).toContain(`the scheduled re-check assumed ${open} in account 300000000001 (tenant t-1) from a session of ${OUTBOUND} with no external ID`);
    expect(record).toMatchObject({ roleArn: open, targetAccountId: '300000000001', principalArn: OUTBOUND_SESSION, awsRegion: 'eu-west-1', dedupKey: `external-id|missing|${OUTBOUND}|300000000001`, details: { problem: 'missing', foundBy: 'scheduled re-check', tenants: ['t-1'], requestId: 'req-ASIACUSTOMER' } });
    expect(record.attack).toEqual([expect.objectContaining({ tactic: 'TA0001', technique: 'T1199' })]);
    expect(d.lines.filter((l) => l.level === 'error').map((l) => [l.message, l.fields.roleArn])).toEqual([['customer role accepted a request without an external ID', open]]);
  });

  it('gives the alert the same identity when the same scheduled event is handled again', async () => {
    const open = 'arn:aws:iam::300000000000:role/VendorIntegration';
    rolesAccepting(open);
    await createRecheckHandler(deps(registry(1)))(EVENT);
    await createRecheckHandler(deps(registry(1)))(EVENT);
    await createRecheckHandler(deps(registry(1)))({ ...EVENT, id: 'the-next-day' });
    const ids = sns.commandCalls(PublishBatchCommand).map((c) => (JSON.parse((JSON.parse(c.args[0].input.PublishBatchRequestEntries![0]!.Message!) as { default: string }).default) as { alertId: string }).alertId);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('asks the others when one role cannot be asked, then fails the run naming it', async () => {
    // Given a role STS still throttles after the SDK's retries, among three
    const throttled = 'arn:aws:iam::300000000002:role/VendorIntegration';
    sts.on(AssumeRoleCommand).callsFake((input: AssumeRoleCommandInput) => {
      if (input.RoleArn === OUTBOUND) return session('ASIAOUTBOUND', OUTBOUND_SESSION);
      if (input.RoleArn === throttled) throw new STSServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400, attempts: 5 } });
      throw refused(input.RoleArn!);
    });
    const d = deps(registry(3));
    // When the re-check runs
    const run = createRecheckHandler(d)(EVENT);
    // Then it fails (the error alarm), after asking every role, and logs which and why
    await expect(run).rejects.toThrow('re-check incomplete: 1 of 4 roles could not be asked, 0 alerts not published');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(5);
    expect(d.lines.find((l) => l.message === 'customer role could not be re-checked')!.fields).toEqual({ roleArn: throttled, code: 'Throttling', message: 'Rate exceeded', attempts: 5 });
  });

  it('stops before asking any customer role when the outbound role refuses the function', async () => {
    sts.on(AssumeRoleCommand).rejects(refused(OUTBOUND));
    const d = deps(registry(2));
    await expect(createRecheckHandler(d)(EVENT)).rejects.toThrow(`assuming the outbound role ${OUTBOUND}: AccessDenied`);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(d.lines.find((l) => l.message === 're-check could not run')!.fields.error).toContain('its trust policy must let this function\'s role assume it');
  });

  it('fails without a registry, and asks nothing', async () => {
    await expect(createRecheckHandler(deps(null))(EVENT)).rejects.toThrow('the customer registry could not be read');
    expect(sts.calls()).toHaveLength(0);
  });

  it('asks at most `concurrency` roles at once', async () => {
    // Given 20 customers whose refusals take a moment
    let inFlight = 0;
    let most = 0;
    sts.on(AssumeRoleCommand).callsFake(async (input: AssumeRoleCommandInput) => {
      if (input.RoleArn === OUTBOUND) return session('ASIAOUTBOUND', OUTBOUND_SESSION);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      throw refused(input.RoleArn!);
    });
    // When the re-check runs three at a time
    const outcome = await createRecheckHandler(deps(registry(20), 3))(EVENT);
    // Then all were asked, never more than three at once
    expect(outcome.refused).toBe(21);
    expect(most).toBe(3);
  });
});

describe('the re-check\'s wiring', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fails the cold start naming a missing variable', () => {
    delete process.env[RECHECK_ENVIRONMENT.outboundRole];
    process.env[RECHECK_ENVIRONMENT.registry] = 's3://exports/customers.jsonl';
    expect(() => recheckDependenciesFromEnvironment()).toThrow('environment variable OUTBOUND_ROLE_ARN is not set');
  });

  it('builds STS clients with the SDK\'s standard retry, five attempts, for throttling', async () => {
    Object.assign(process.env, { [RECHECK_ENVIRONMENT.registry]: 's3://exports/customers.jsonl', [RECHECK_ENVIRONMENT.outboundRole]: OUTBOUND, [RECHECK_ENVIRONMENT.topic]: TOPIC, AWS_REGION: 'eu-west-1' });
    const client = recheckDependenciesFromEnvironment().sts(null);
    expect(await client.config.maxAttempts()).toBe(PROBE_MAX_ATTEMPTS);
  });
});
