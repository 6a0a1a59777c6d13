/**
 * People and pipelines in the bastion account that never touch the monitored roles: SSO admins
 * (IAM Identity Center sessions named by the person's e-mail) doing ordinary admin work, and CI
 * deploys (GitHub Actions' OIDC token into a deploy role, then CloudFormation). Each from a
 * stream of its own, on weekdays.
 */
import { apiCall, assumeRole, HOUR, SEC, type Builder, type HourContext, type Session, type Sink } from './hour';
import { HEX, rngFor } from './random';
import { drawSessionKeyId, USER_AGENTS, webIdentityIdentity, type RoleRef } from './records';
import { ACCOUNT, iamArn, SCENARIO, type Region } from './scenario';
import { scenarioRole } from './world';

/** The vendor's platform team, each with an Identity Center permission set in the bastion account. */
const ADMINS = [
  { email: 'maria.garcia@vendor.example', permissionSet: 'AdministratorAccess', ipv6: false },
  { email: 'sam.okafor@vendor.example', permissionSet: 'ReadOnlyAccess', ipv6: true },
  { email: 'lena.fischer@vendor.example', permissionSet: 'AdministratorAccess', ipv6: false },
] as const;

const WORKDAY = { from: 8, to: 18 } as const;

/** Adds this hour's SSO admin work and CI deploys to `sink`. */
export function peopleHour(ctx: HourContext, sink: Sink): void {
  if (ctx.weekday === 0 || ctx.weekday === 6) return;
  ssoAdmins(ctx, { rng: rngFor(ctx.seed, 'sso', ctx.hourStart), sink });
  for (const run of ciRuns(ctx)) deployRun(ctx, { rng: rngFor(ctx.seed, 'ci-run', run.t), sink }, run);
}

/** An Identity Center role: `AWSReservedSSO_<permission set>_<16 hex>` under the reserved path. */
function ssoRole(seed: number, permissionSet: string): RoleRef {
  const suffix = rngFor(seed, 'sso-permission-set', permissionSet).chars(HEX, 16);
  return scenarioRole(seed, iamArn('role', `aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_${permissionSet}_${suffix}`));
}

/** An admin's session of the day: signed in through the access portal between 08:00 and 09:30. */
function adminSession(ctx: HourContext, admin: (typeof ADMINS)[number]): Session {
  const rng = rngFor(ctx.seed, 'sso-session', ctx.day, admin.email);
  const dayStart = ctx.hourStart - ctx.hourOfDay * HOUR;
  const createdAt = dayStart + WORKDAY.from * HOUR + rng.int(90 * 60) * SEC;
  return {
    role: ssoRole(ctx.seed, admin.permissionSet),
    name: admin.email,
    accessKeyId: drawSessionKeyId(rng),
    createdAt,
    sourceIp: admin.ipv6 ? SCENARIO.officeIpv6 : SCENARIO.officeIpv4,
    userAgent: USER_AGENTS.cliOnMac('sso.login'),
    region: 'eu-west-1',
    lastUse: createdAt,
  };
}

/** Ordinary admin work with the AWS CLI's SSO profile: reading IAM (the outbound roles too), CloudTrail, ECS, logs. */
function ssoAdmins(ctx: HourContext, b: Builder): void {
  const { rng } = b;
  const { hourStart: T, hourOfDay } = ctx;
  if (hourOfDay < WORKDAY.from || hourOfDay >= WORKDAY.to) return;
  const sessions = ADMINS.map((admin) => adminSession(ctx, admin));
  const n = rng.int(4);
  for (let i = 0; i < n; i++) {
    const session = sessions[rng.int(sessions.length)]!;
    const t = T + rng.int(3_590_000);
    const action = rng.int(6);
    // Not signed in yet.
    if (t < session.createdAt + 30 * SEC) continue;
    const call = (command: string, eventSource: string, eventName: string, region: Region, requestParameters: Record<string, unknown> | null, global = false): void => {
      const service = eventSource.replace('.amazonaws.com', '');
      apiCall(b, {
        t, caller: { kind: 'session', session }, region, sourceIp: session.sourceIp, userAgent: USER_AGENTS.cliOnMac(command),
        eventSource, eventName, requestParameters, host: global ? eventSource : `${service}.${region}.amazonaws.com`,
      });
    };
    switch (action) {
      case 0:
        // Reading a monitored role's trust policy is not assuming it.
        call('iam.get-role', 'iam.amazonaws.com', 'GetRole', 'us-east-1', { roleName: rng.int(2) === 0 ? 'outbound-eu' : 'outbound-us' }, true);
        break;
      case 1:
        call('iam.list-roles', 'iam.amazonaws.com', 'ListRoles', 'us-east-1', null, true);
        break;
      case 2:
        call('cloudtrail.lookup-events', 'cloudtrail.amazonaws.com', 'LookupEvents', 'eu-west-1', { lookupAttributes: [{ attributeKey: 'EventName', attributeValue: 'AssumeRole' }], maxResults: 50 });
        break;
      case 3:
        call('ecs.describe-services', 'ecs.amazonaws.com', 'DescribeServices', rng.int(2) === 0 ? 'eu-west-1' : 'us-east-1', { cluster: 'integration', services: ['integration-backend'] });
        break;
      case 4:
        call('sts.get-caller-identity', 'sts.amazonaws.com', 'GetCallerIdentity', 'eu-west-1', null);
        break;
      default:
        call('logs.filter-log-events', 'logs.amazonaws.com', 'FilterLogEvents', 'eu-west-1', { logGroupName: '/ecs/integration-backend', startTime: T - HOUR, filterPattern: 'ERROR' });
    }
  }
}

/** One CI run: when, in which region, and whether it is the deploy that renames the backend's task role. */
interface CiRun {
  readonly t: number;
  readonly region: Region;
  readonly rename: boolean;
}

/** This hour's CI runs: one or two a weekday between 09:00 and 18:00, and the rename deploy the hour before its tasks start. */
function ciRuns(ctx: HourContext): CiRun[] {
  const { calendar, hourStart: T } = ctx;
  const rng = rngFor(ctx.seed, 'ci', ctx.day);
  const dayStart = T - ctx.hourOfDay * HOUR;
  const runs: CiRun[] = [];
  const n = 1 + rng.int(2);
  for (let i = 0; i < n; i++) runs.push({ t: dayStart + (9 + rng.int(9)) * HOUR + rng.int(3_000_000), region: rng.int(2) === 0 ? 'eu-west-1' : 'us-east-1', rename: false });
  if (calendar.dayOf(calendar.deployAt) === ctx.day) runs.push({ t: calendar.deployAt - 22 * 60 * SEC, region: 'us-east-1', rename: true });
  return runs.filter((r) => r.t >= T && r.t < T + HOUR);
}

/** The deploy role GitHub Actions' OIDC token may assume (main branch only). */
const deployRole = (seed: number): RoleRef => scenarioRole(seed, iamArn('role', 'github-actions-deploy'));

/**
 * A CI run: `configure-aws-credentials` exchanges the workflow's OIDC token for the deploy role,
 * the CLI deploys the CloudFormation stack, and CloudFormation makes the changes (its calls carry
 * `invokedBy`): the report-exporter Lambda's code, or, for the rename deploy, the new task role and
 * the ECS services.
 */
function deployRun(ctx: HourContext, b: Builder, run: CiRun): void {
  const { rng } = b;
  const provider = iamArn('role', '').replace(':role/', ':oidc-provider/token.actions.githubusercontent.com');
  const subject = `repo:${SCENARIO.ciRepository}:ref:refs/heads/main`;
  const runnerIp = SCENARIO.ciRunnerIps[rng.int(SCENARIO.ciRunnerIps.length)]!;
  const { session } = assumeRole(b, {
    eventName: 'AssumeRoleWithWebIdentity',
    t: run.t,
    caller: { kind: 'federated', identity: webIdentityIdentity(provider, subject) },
    region: run.region,
    sourceIp: runnerIp,
    userAgent: USER_AGENTS.githubCredentialsAction,
    role: deployRole(ctx.seed),
    sessionName: 'GitHubActions',
    durationSeconds: 3600,
    responseExtras: { subjectFromWebIdentityToken: subject, audience: 'sts.amazonaws.com', provider },
  });
  const deployer = session!;
  const stackName = run.rename ? 'integration-backend' : 'report-exporter';
  let t = run.t + (4 + rng.int(4)) * SEC;
  const cli = (eventName: string, readOnly: boolean, requestParameters: Record<string, unknown>): void => {
    apiCall(b, {
      t, caller: { kind: 'session', session: deployer }, region: run.region, sourceIp: runnerIp, userAgent: USER_AGENTS.cliOnRunner('cloudformation.deploy'),
      eventSource: 'cloudformation.amazonaws.com', eventName, requestParameters, host: `cloudformation.${run.region}.amazonaws.com`, readOnly,
    });
    t += (2 + rng.int(5)) * SEC;
  };
  const changeSetName = `awscli-cloudformation-package-deploy-${Math.floor(run.t / SEC)}`;
  cli('DescribeStacks', true, { stackName });
  cli('CreateChangeSet', false, { stackName, changeSetName, changeSetType: 'UPDATE', capabilities: ['CAPABILITY_NAMED_IAM'] });
  cli('DescribeChangeSet', true, { changeSetName, stackName });
  cli('ExecuteChangeSet', false, { changeSetName, stackName });
  // CloudFormation acts with the deployer's session, for it.
  const cfn = (region: Region, eventSource: string, eventName: string, requestParameters: Record<string, unknown>): void => {
    t += (3 + rng.int(20)) * SEC;
    apiCall(b, {
      t, caller: { kind: 'session', session: deployer, invokedBy: 'cloudformation.amazonaws.com' }, region,
      sourceIp: 'cloudformation.amazonaws.com', userAgent: 'cloudformation.amazonaws.com', eventSource, eventName, requestParameters, host: null, readOnly: false,
    });
  };
  if (run.rename) {
    cfn('us-east-1', 'iam.amazonaws.com', 'CreateRole', { roleName: 'integration-backend-v2', path: '/', description: 'integration-backend task role (renamed)', maxSessionDuration: 3600 });
    cfn('us-east-1', 'iam.amazonaws.com', 'PutRolePolicy', { roleName: 'integration-backend-v2', policyName: 'assume-outbound-roles' });
    for (const region of ['eu-west-1', 'us-east-1'] as const) {
      cfn(region, 'ecs.amazonaws.com', 'RegisterTaskDefinition', { family: `integration-backend-${region}`, taskRoleArn: SCENARIO.backendV2RoleArn, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'] });
      cfn(region, 'ecs.amazonaws.com', 'UpdateService', { cluster: 'integration', service: 'integration-backend', taskDefinition: `integration-backend-${region}`, forceNewDeployment: true });
    }
  } else {
    cfn(run.region, 'lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', { functionName: `arn:aws:lambda:${run.region}:${ACCOUNT}:function:report-exporter`, publish: true });
  }
  t += (5 + rng.int(10)) * SEC;
  cli('DescribeStacks', true, { stackName });
}
