/**
 * `check-role --live` at the SDK's boundary: STS and IAM faked with aws-sdk-client-mock (and, for
 * throttling, the real STS client over a fake HTTP handler, so the SDK's own retry runs). The
 * flows a vendor meets while onboarding a customer (an external ID enforced, not enforced, a
 * wrong one accepted, a role that may not read itself, throttling, bad credentials), the exact
 * requests the customer will see in CloudTrail, and the external ID: never taken from the
 * command line, never printed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { runCheckRole, type LiveDependencies } from '../cli/check-role';
import { SDK_CLIENTS, type LiveClients } from '../cli/check-role/live';
import { RULES } from '../cli/check-role/rules';
import { PROBE_MAX_ATTEMPTS } from '../lambdas/core/role-probe';
import { cli, tempDir } from './support/cli';

const ROLE = 'arn:aws:iam::111122223333:role/VendorIntegration';
const OUTBOUND = 'arn:aws:iam::444455556666:role/vendor-outbound';
const OUTBOUND_SESSION = 'arn:aws:sts::444455556666:assumed-role/vendor-outbound/assumerole-watch-check-role';
const CHECKER = 'arn:aws:sts::444455556666:assumed-role/onboarding-role-checker/ci-42';
const EXTERNAL_ID = 'acme-7f3a9c2e-5b1d-4e8f-a6c0-d2b4e9f1a3c7';
const WRONG = 'assumerole-watch-probe-not-the-external-id-0123456789abcdef';
const ENV = { ASSUMEROLE_WATCH_EXTERNAL_ID: EXTERNAL_ID };

/** An error as the SDK throws it for an STS error response. */
function stsError(name: string, message: string, status = 403, attempts = 1): STSServiceException {
  return new STSServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode: status, attempts } });
}

/** STS's refusal of an assumption. */
const refused = (roleArn: string, caller = OUTBOUND_SESSION): STSServiceException => stsError('AccessDenied', `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);

/** An AssumeRole answer with credentials whose key names the session. */
function session(accessKeyId: string, arn: string) {
  return {
    Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: `secret-of-${accessKeyId}`, SessionToken: `token-of-${accessKeyId}`, Expiration: new Date('2030-01-01T00:00:00Z') },
    AssumedRoleUser: { Arn: arn, AssumedRoleId: `AROAEXAMPLE:${arn.split('/').pop()}` },
  };
}

/** Which request carried which external ID. */
const idKind = (input: AssumeRoleCommandInput): 'none' | 'wrong' | 'given' => (input.ExternalId === undefined ? 'none' : input.ExternalId === EXTERNAL_ID ? 'given' : 'wrong');

/** A trust policy naming `principal`, with `condition`. */
function trust(condition: Record<string, unknown> | null = { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } }, principal: string = OUTBOUND): string {
  return encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole', ...(condition === null ? {} : { Condition: condition }) }] }));
}

/** The role IAM describes: the trust given, one inline read-only policy, one customer managed policy. */
function describeRole(iam: AwsClientStub<IAMClient>, trustDocument: string = trust(), managed: Record<string, unknown>[] = [{ Effect: 'Allow', Action: 'cloudtrail:DescribeTrails', Resource: '*' }]): void {
  iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'VendorIntegration', Arn: ROLE, Path: '/', RoleId: 'AROAEXAMPLE', CreateDate: new Date(), AssumeRolePolicyDocument: trustDocument, MaxSessionDuration: 3600 } });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['read-config'], IsTruncated: false });
  iam.on(GetRolePolicyCommand).resolves({ RoleName: 'VendorIntegration', PolicyName: 'read-config', PolicyDocument: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:DescribeInstances', 'config:Describe*'], Resource: '*' }] })) });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyName: 'vendor-extra', PolicyArn: 'arn:aws:iam::111122223333:policy/vendor-extra' }], IsTruncated: false });
  iam.on(GetPolicyCommand).resolves({ Policy: { PolicyName: 'vendor-extra', Arn: 'arn:aws:iam::111122223333:policy/vendor-extra', DefaultVersionId: 'v3' } });
  iam.on(GetPolicyVersionCommand).resolves({ PolicyVersion: { VersionId: 'v3', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: managed })) } });
}

/** Runs `check-role` in process with the live dependencies; its exit code and output. */
async function run(argv: readonly string[], live: LiveDependencies = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheckRole(argv, { out: (t) => void (out += t), err: (t) => void (err += t) }, '0.0.0-test', { env: ENV, wrongExternalId: WRONG, ...live });
  return { code, out, err };
}

/** The JSON report's findings as `id severity`. */
function findingsOf(out: string): string[] {
  return (JSON.parse(out) as { findings: { id: string; severity: string }[] }).findings.map((f) => `${f.id} ${f.severity}`);
}

/** The credentials an SDK call's client was built with. */
async function credentialsOfCall(call: { thisValue: unknown }): Promise<string | undefined> {
  const client = call.thisValue as { config: { credentials: () => Promise<{ accessKeyId: string }> } };
  return (await client.config.credentials()).accessKeyId;
}

const LIVE = ['--live', ROLE, '--region', 'eu-west-1'];

describe('check-role --live, with STS and IAM faked', () => {
  let sts: AwsClientStub<STSClient>;
  let iam: AwsClientStub<IAMClient>;
  beforeEach(() => {
    sts = mockClient(STSClient);
    iam = mockClient(IAMClient);
    sts.on(GetCallerIdentityCommand).resolves({ Arn: CHECKER, Account: '444455556666', UserId: 'AROAEXAMPLE:ci-42' });
  });
  afterEach(() => {
    sts.restore();
    iam.restore();
  });

  /** The customer role accepts these external IDs (and the outbound role is assumable). */
  function customerAccepts(...kinds: ('none' | 'wrong' | 'given')[]): void {
    sts.on(AssumeRoleCommand).callsFake((input: AssumeRoleCommandInput) => {
      if (input.RoleArn === OUTBOUND) return session('ASIAOUTBOUND', OUTBOUND_SESSION);
      const kind = idKind(input);
      if (kinds.includes(kind)) return session(`ASIA${kind.toUpperCase()}`, `arn:aws:sts::111122223333:assumed-role/VendorIntegration/assumerole-watch-check-role`);
      throw refused(input.RoleArn!);
    });
  }

  it('finds nothing on a role that refuses a missing and a wrong external ID and reads clean', async () => {
    // Given a customer role that enforces its external ID and grants configuration reads
    customerAccepts('given');
    describeRole(iam);
    // When the probe runs with the default credentials
    const { code, out } = await run([...LIVE, '--json']);
    // Then it is clean, and the report says how STS answered each request
    expect(findingsOf(out)).toEqual([]);
    expect(code).toBe(0);
    const probe = (JSON.parse(out) as { probe: Record<string, unknown> }).probe;
    expect(probe).toMatchObject({ roleArn: ROLE, caller: CHECKER, region: 'eu-west-1', sessionName: 'assumerole-watch-check-role', durationSeconds: 900 });
    expect(probe.requests).toEqual([
      { externalId: 'none', accepted: false, errorCode: 'AccessDenied' },
      { externalId: 'wrong', value: WRONG, accepted: false, errorCode: 'AccessDenied' },
      { externalId: 'given', accepted: true, errorCode: null },
    ]);
  });

  it('sends exactly the three requests the docs promise: 900 seconds, the read-only session policy, the documented session name', async () => {
    // Given an enforcing customer role
    customerAccepts('given');
    describeRole(iam);
    // When probed
    await run(LIVE);
    // Then the caller is identified first, and the customer role gets three AssumeRole requests in this order
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    const inputs = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(inputs.map(idKind)).toEqual(['none', 'wrong', 'given']);
    expect('ExternalId' in inputs[0]!).toBe(false);
    expect(inputs[1]!.ExternalId).toBe(WRONG);
    expect(inputs[2]!.ExternalId).toBe(EXTERNAL_ID);
    for (const input of inputs) {
      expect(input).toMatchObject({ RoleArn: ROLE, RoleSessionName: 'assumerole-watch-check-role', DurationSeconds: 900 });
      expect(input.SourceIdentity).toBeUndefined();
      expect(input.Tags).toBeUndefined();
      expect(JSON.parse(input.Policy!)).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ReadTheRole', Effect: 'Allow', Action: ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:GetRolePolicy'], Resource: ['arn:aws:iam::111122223333:role/VendorIntegration', 'arn:aws:iam::111122223333:role/*/VendorIntegration'] },
          { Sid: 'ReadItsPolicies', Effect: 'Allow', Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'], Resource: 'arn:aws:iam::111122223333:policy/*' },
        ],
      });
    }
    // And the role is read with the session the right external ID opened
    const reads = iam.commandCalls(GetRoleCommand);
    expect(reads.map((c) => c.args[0].input)).toEqual([{ RoleName: 'VendorIntegration' }]);
    expect(await credentialsOfCall(reads[0]!)).toBe('ASIAGIVEN');
    expect(iam.commandCalls(GetPolicyVersionCommand)[0]!.args[0].input).toEqual({ PolicyArn: 'arn:aws:iam::111122223333:policy/vendor-extra', VersionId: 'v3' });
  });

  it('reports a role assumed without an external ID (high), beside what the lint finds in its trust', async () => {
    // Given a role whose trust has no external ID condition: every request is accepted
    customerAccepts('none', 'wrong', 'given');
    describeRole(iam, trust(null));
    // When probed
    const { code, out } = await run([...LIVE, '--json']);
    // Then the probe's findings and the lint's, most serious first
    expect(code).toBe(1);
    expect(findingsOf(out)).toEqual(['live-no-external-id-accepted high', 'live-wrong-external-id-accepted high', 'trust-external-id-missing high']);
  });

  it('reports a wrong external ID accepted (high) where only a missing one is refused', async () => {
    // Given a trust that requires an external ID but compares it with a wildcard
    customerAccepts('wrong', 'given');
    describeRole(iam, trust({ StringLike: { 'sts:ExternalId': '*' } }));
    // When probed
    const { code, out } = await run([...LIVE, '--json']);
    // Then
    expect(code).toBe(1);
    expect(findingsOf(out)).toEqual(['live-wrong-external-id-accepted high', 'trust-external-id-weak high']);
    expect(out).toContain(WRONG);
  });

  it('reports a role that may not read itself (low) and runs the probe alone', async () => {
    // Given an enforcing role whose own policies do not allow iam:GetRole
    customerAccepts('given');
    iam.on(GetRoleCommand).rejects(new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message: 'User: arn:aws:sts::111122223333:assumed-role/VendorIntegration/assumerole-watch-check-role is not authorized to perform: iam:GetRole on resource: role VendorIntegration because no identity-based policy allows the iam:GetRole action', $metadata: { httpStatusCode: 403 } }));
    // When probed, as text
    const { code, out } = await run(LIVE);
    // Then only the probe's finding, and the listing says why the role was not linted
    expect(code).toBe(1);
    expect(out).toContain('live-role-unreadable');
    expect(out).toContain('role not read: iam:GetRole: AccessDenied');
    expect(out).not.toMatch(/trust-|permission-/);
    expect(iam.commandCalls(ListRolePoliciesCommand)).toHaveLength(0);
  });

  it('reports the right external ID refused (medium): the integration is broken, and nothing is read', async () => {
    // Given a role that refuses every request (another external ID, or another principal)
    customerAccepts();
    // When probed
    const { code, out } = await run([...LIVE, '--json']);
    // Then
    expect(code).toBe(1);
    expect(findingsOf(out)).toEqual(['live-right-external-id-refused medium']);
    expect(iam.calls()).toHaveLength(0);
  });

  it('reads a policy it may not read as unreadable, and lints the rest', async () => {
    // Given a role that may read itself but not its customer managed policy's document
    customerAccepts('given');
    describeRole(iam);
    iam.on(GetPolicyVersionCommand).rejects(new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message: 'not authorized to perform: iam:GetPolicyVersion', $metadata: { httpStatusCode: 403 } }));
    // When probed
    const { out } = await run([...LIVE, '--json']);
    // Then that policy is policy-unreadable, with the reason
    const findings = (JSON.parse(out) as { findings: { id: string; message: string }[] }).findings;
    expect(findings.map((f) => f.id)).toEqual(['policy-unreadable']);
    expect(findings[0]!.message).toContain('iam:GetPolicy / iam:GetPolicyVersion: AccessDenied');
  });

  it('assumes the outbound role first with --via-role: 900 seconds, a session policy allowing only this role, and probes as it', async () => {
    // Given the checker principal's default credentials and the outbound role it may assume
    customerAccepts('given');
    describeRole(iam);
    // When probed through the outbound role
    const { code, out } = await run([...LIVE, '--via-role', OUTBOUND, '--json']);
    // Then the outbound role is assumed from the default chain, with the shortest session and a policy of one action
    expect(code).toBe(0);
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls.map((c) => c.args[0].input.RoleArn)).toEqual([OUTBOUND, ROLE, ROLE, ROLE]);
    expect(calls[0]!.args[0].input).toMatchObject({ RoleSessionName: 'assumerole-watch-check-role', DurationSeconds: 900 });
    expect(calls[0]!.args[0].input.ExternalId).toBeUndefined();
    expect(JSON.parse(calls[0]!.args[0].input.Policy!)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'AssumeCustomerRolesOnly', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ['arn:aws:iam::111122223333:role/VendorIntegration', 'arn:aws:iam::111122223333:role/*/VendorIntegration'] }],
    });
    // And the customer role's requests are signed with the outbound session, which is the caller reported
    for (const call of calls.slice(1)) expect(await credentialsOfCall(call)).toBe('ASIAOUTBOUND');
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    expect((JSON.parse(out) as { probe: { caller: string } }).probe.caller).toBe(OUTBOUND_SESSION);
  });

  it('takes the outbound role as the principal the trust should name', async () => {
    // Given a role trusting another vendor role, probed via the outbound role
    customerAccepts('given');
    describeRole(iam, trust(undefined, 'arn:aws:iam::444455556666:role/someone-else'));
    // When probed
    const { out } = await run([...LIVE, '--via-role', OUTBOUND, '--json']);
    // Then the trust is judged against the outbound role
    expect(findingsOf(out)).toContain('trust-vendor-mismatch high');
  });

  it('stops with exit 2 before touching the customer role when the credentials are refused', async () => {
    // Given default credentials STS does not know
    sts.on(GetCallerIdentityCommand).rejects(stsError('InvalidClientTokenId', 'The security token included in the request is invalid.'));
    // When probed
    const { code, out, err } = await run(LIVE);
    // Then nothing reaches the customer's CloudTrail, and the message says what to check
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('the credentials were refused (InvalidClientTokenId: The security token included in the request is invalid.)');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('stops with exit 2 without a region, before any request', async () => {
    // Given no --region, no AWS_REGION and no profile
    const saved = { region: process.env.AWS_REGION, config: process.env.AWS_CONFIG_FILE };
    delete process.env.AWS_REGION;
    process.env.AWS_CONFIG_FILE = join(tempDir(), 'none');
    try {
      // When probed
      const { code, err } = await run(['--live', ROLE]);
      // Then
      expect(code).toBe(2);
      expect(err).toContain('resolving the region: no region: set AWS_REGION (or a profile\'s region), or pass --region');
      expect(sts.calls()).toHaveLength(0);
    } finally {
      if (saved.region === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved.region;
      if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.config;
    }
  });

  it('stops with exit 2 when the outbound role refuses the checker, naming both sides of the fix', async () => {
    // Given a checker principal the outbound role does not trust
    sts.on(AssumeRoleCommand).rejects(refused(OUTBOUND, CHECKER));
    // When probed via the outbound role
    const { code, err } = await run([...LIVE, '--via-role', OUTBOUND]);
    // Then
    expect(code).toBe(2);
    expect(err).toContain(`assuming the outbound role ${OUTBOUND} with the default credentials: refused (AccessDenied`);
    expect(err).toContain('the outbound role\'s trust policy must name the checker principal');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it.each([
    ['an expired session', stsError('ExpiredToken', 'The security token included in the request is expired'), 'the credentials were refused (ExpiredToken'],
    ['a region where STS is not activated', stsError('RegionDisabledException', 'STS is not activated in this region for account:111122223333.'), 'STS is not activated in eu-west-1'],
    ['a session policy STS refuses', stsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.', 400), 'this is a bug of assumerole-watch'],
    ['a session policy too large', stsError('PackedPolicyTooLarge', 'Packed policy consumes 112% of allotted space', 400), 'STS refused the probe\'s session policy'],
    ['STS still throttling after the SDK\'s retries', stsError('Throttling', 'Rate exceeded', 400, 5), 'STS was still throttling after 5 attempts with backoff (Throttling: Rate exceeded); run it again in a minute'],
  ])('stops with exit 2 on %s, saying what was learned so far', async (_what, error, message) => {
    // Given a customer role that refuses the first request, then an error
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake((input: AssumeRoleCommandInput) => {
      n += 1;
      if (n === 1) throw refused(input.RoleArn!);
      throw error;
    });
    // When probed
    const { code, out, err } = await run(LIVE);
    // Then no report, and the error says which request and what to do
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`could not probe ${ROLE}: sts:AssumeRole on ${ROLE} with the probe's wrong external ID: `);
    expect(err).toContain(message);
    expect(err).toContain('so far: sts:AssumeRole without an external ID: refused');
  });

  it('never prints the external ID: not from the trust policy it reads, nor from an error that quotes it', async () => {
    // Given a role whose trust (holding the ID) is judged against another vendor role, in every format
    customerAccepts('given');
    describeRole(iam, trust(undefined, 'arn:aws:iam::444455556666:role/someone-else'));
    for (const format of ['text', 'json', 'sarif']) {
      const { out, err } = await run([...LIVE, '--via-role', OUTBOUND, '--format', format]);
      expect(out).toContain('trust-vendor-mismatch');
      // The offending statement is quoted, its condition's value replaced
      expect(out).toContain('<the external ID>');
      expect(out + err).not.toContain(EXTERNAL_ID);
    }
    // And given a validation error whose message quotes the value sent
    sts.on(AssumeRoleCommand).callsFake((input: AssumeRoleCommandInput) => {
      if (idKind(input) === 'given') throw stsError('ValidationError', `1 validation error detected: Value '${input.ExternalId}' at 'externalId' failed to satisfy constraint`, 400);
      throw refused(input.RoleArn!);
    });
    const { code, err } = await run(LIVE);
    expect(code).toBe(2);
    expect(err).toContain('Value \'<the external ID>\' at \'externalId\'');
    expect(err).not.toContain(EXTERNAL_ID);
  });

  it('reads the external ID from a file, without its trailing newline', async () => {
    // Given the ID in a file and none in the environment
    customerAccepts('given');
    describeRole(iam);
    const file = join(tempDir(), 'external-id');
    writeFileSync(file, `${EXTERNAL_ID}\n`);
    // When probed
    const { code } = await run([...LIVE, '--external-id-file', file], { env: {} });
    // Then the right request carried it exactly
    expect(code).toBe(0);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.ExternalId)).toEqual([undefined, WRONG, EXTERNAL_ID]);
  });

  it('reads the external ID from another environment variable when told', async () => {
    customerAccepts('given');
    describeRole(iam);
    const { code } = await run([...LIVE, '--external-id-env', 'ACME_XID'], { env: { ACME_XID: EXTERNAL_ID } });
    expect(code).toBe(0);
  });

  it('exits 2 without a request when no external ID is given, naming where it looked', async () => {
    // Given no variable set
    const { code, err } = await run(LIVE, { env: {} });
    // Then
    expect(code).toBe(2);
    expect(err).toContain('no external ID: the environment variable ASSUMEROLE_WATCH_EXTERNAL_ID is not set');
    expect(sts.calls()).toHaveLength(0);
  });

  it('exits 2 on an external ID STS would not accept, without printing it', async () => {
    const { code, err } = await run(LIVE, { env: { ASSUMEROLE_WATCH_EXTERNAL_ID: 'has spaces in it' } });
    expect(code).toBe(2);
    expect(err).toContain('does not hold an external ID STS accepts');
    expect(err).not.toContain('has spaces');
    expect(sts.calls()).toHaveLength(0);
  });

  it.each([
    [['--external-id', EXTERNAL_ID]],
    [[`--external-id=${EXTERNAL_ID}`]],
    [['--externalId', EXTERNAL_ID]],
  ])('refuses the external ID on the command line (%j), without echoing it', async (given) => {
    // Given the ID typed as an option
    const { code, err } = await cli(['check-role', ...LIVE, ...given]);
    // Then a usage error that says why, and no request
    expect(code).toBe(2);
    expect(err).toContain('never on the command line, where shell history, `ps` and CI logs would keep it');
    expect(err).not.toContain(EXTERNAL_ID);
    expect(sts.calls()).toHaveLength(0);
  });

  it('refuses files with --live, and the live options without it', async () => {
    expect((await cli(['check-role', ...LIVE, 'role.json'])).err).toContain('--live reads the role from AWS: give no files');
    expect((await cli(['check-role', 'role.json', '--via-role', OUTBOUND])).err).toContain('--via-role goes with --live ROLE_ARN');
    expect((await cli(['check-role', '--live', 'VendorIntegration'])).err).toContain('--live takes a role ARN');
  });

  it('lists the probe\'s rules in SARIF and points its results at the role ARN', async () => {
    // Given a role without an external ID condition
    customerAccepts('none', 'wrong', 'given');
    describeRole(iam, trust(null));
    // When rendered as SARIF
    const { out } = await run([...LIVE, '--format', 'sarif']);
    const run0 = (JSON.parse(out) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] }).runs[0]!;
    // Then
    expect(run0.tool.driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    expect(run0.tool.driver.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['live-no-external-id-accepted', 'live-wrong-external-id-accepted', 'live-right-external-id-refused', 'live-role-unreadable']));
    const result = run0.results.find((r) => r.ruleId === 'live-no-external-id-accepted')!;
    expect(result.level).toBe('error');
    expect(result.locations[0]!.physicalLocation.artifactLocation.uri).toBe(ROLE);
  });
});

/** STS's XML answers, as the real client parses them. */
const XML = {
  throttled: '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>',
  refused: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: ${CHECKER} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`,
  identity: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${CHECKER}</Arn><UserId>AROAEXAMPLE:ci-42</UserId><Account>444455556666</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  assumed: '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAGIVEN</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:assumerole-watch-check-role</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/VendorIntegration/assumerole-watch-check-role</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>',
};

describe('check-role --live when STS throttles (the SDK\'s own retry, over a fake HTTP handler)', () => {
  let iam: AwsClientStub<IAMClient>;
  beforeEach(() => {
    iam = mockClient(IAMClient);
    describeRole(iam);
  });
  afterEach(() => iam.restore());

  /**
   * Real STS clients whose HTTP answers come from `answer` (the body of each request in, an XML
   * answer out). Two attempts per request, not the command's five: the SDK's throttling backoff
   * is half a second and doubling, which the test need not wait for.
   */
  function clientsAnswering(answer: (body: string) => { status: number; xml: string }): { clients: LiveClients; requests: string[] } {
    const requests: string[] = [];
    const handler = {
      handle: async (request: { body?: unknown }) => {
        const body = String(request.body ?? '');
        requests.push(body);
        const { status, xml } = answer(body);
        return { response: { statusCode: status, headers: { 'content-type': 'text/xml' }, body: new TextEncoder().encode(xml) } };
      },
    };
    const clients: LiveClients = {
      sts: (credentials, region) => new STSClient({ region: region ?? 'eu-west-1', maxAttempts: 2, credentials: credentials ?? { accessKeyId: 'AKIACHECKER', secretAccessKey: 's' }, requestHandler: handler as never }),
      iam: SDK_CLIENTS.iam,
    };
    return { clients, requests };
  }

  it('retries a throttled request and finishes the probe', async () => {
    // Given STS throttling the first AssumeRole once, then answering as an enforcing role does
    let throttled = false;
    const { clients, requests } = clientsAnswering((body) => {
      if (body.startsWith('Action=GetCallerIdentity')) return { status: 200, xml: XML.identity };
      if (!throttled) {
        throttled = true;
        return { status: 400, xml: XML.throttled };
      }
      return body.includes(`ExternalId=${encodeURIComponent(EXTERNAL_ID)}`) ? { status: 200, xml: XML.assumed } : { status: 403, xml: XML.refused };
    });
    // When probed
    const { code, err } = await run(LIVE, { clients });
    // Then the throttled request was sent again, and the probe ran to its end
    expect(err).toBe('');
    expect(code).toBe(0);
    const assumes = requests.filter((b) => b.startsWith('Action=AssumeRole'));
    expect(assumes).toHaveLength(4);
    expect(assumes[0]).toBe(assumes[1]);
    expect(assumes[0]).not.toContain('ExternalId');
    expect(assumes[0]).toContain('DurationSeconds=900');
  });

  it('exits 2 with the attempts made when STS is still throttling after the retries', async () => {
    // Given STS throttling every AssumeRole
    const { clients, requests } = clientsAnswering((body) => (body.startsWith('Action=GetCallerIdentity') ? { status: 200, xml: XML.identity } : { status: 400, xml: XML.throttled }));
    // When probed
    const { code, out, err } = await run(LIVE, { clients });
    // Then
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('STS was still throttling after 2 attempts with backoff (Throttling: Rate exceeded); run it again in a minute');
    expect(requests.filter((b) => b.startsWith('Action=AssumeRole'))).toHaveLength(2);
  });

  it('uses the SDK\'s standard retry mode with five attempts', async () => {
    const client = SDK_CLIENTS.sts(null, 'eu-west-1');
    expect(await client.config.maxAttempts()).toBe(PROBE_MAX_ATTEMPTS);
    expect(PROBE_MAX_ATTEMPTS).toBe(5);
    const mode = client.config.retryMode as unknown;
    expect(typeof mode === 'function' ? await (mode as () => Promise<string>)() : mode).toBe('standard');
  });
});
