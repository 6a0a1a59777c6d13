/**
 * `check-role` on the integration templates vendors publish (test/fixtures/check-role/, each with
 * its licence and source) with the findings a reviewer would write by hand, then the readers of
 * each input kind (CloudFormation's tags, a Terraform plan, the AWS CLI's output) and the command:
 * its help, formats, exit codes and the errors that name the file and what is wrong.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_ROLE_COMMAND } from '../cli/check-role';
import { commandHelp } from '../cli/args';
import { parseDocument } from '../cli/check-role/cfn-yaml';
import { readRoleInputs } from '../cli/check-role/inputs';
import { lintRole } from '../cli/check-role/lint';
import { RULES } from '../cli/check-role/rules';
import { DEFAULT_LINT_OPTIONS, type Finding } from '../cli/check-role/types';
import { main, type Io } from '../cli/main';
import { cli, tempDir } from './support/cli';

const FIXTURES = join(__dirname, 'fixtures', 'check-role');
const DATADOG = join(FIXTURES, 'datadog', 'datadog_integration_role.yaml');
const PROWLER = join(FIXTURES, 'prowler', 'prowler-scan-role.yml');
const SNYK_CLOUD = join(FIXTURES, 'snyk', 'snyk-cloud.template.yaml');
const SNYK_ECR = join(FIXTURES, 'snyk', 'snyk-ecr.template.yaml');
const CLOUDZERO = join(FIXTURES, 'cloudzero', 'resource_owner.yaml');
const CASES = join(FIXTURES, 'cases');
const CLI = join(CASES, 'cli');

/** The JSON report of a run. */
interface JsonReport {
  schemaVersion: number;
  roles: { name: string; findings: number }[];
  skipped: { name: string; reason: string }[];
  findings: (Finding & { title: string })[];
  summary: Record<string, number>;
}

/** Runs check-role with `--json`; the exit code and the parsed report. */
async function checkJson(argv: readonly string[]): Promise<{ code: number; report: JsonReport; err: string }> {
  const { code, out, err } = await cli(['check-role', ...argv, '--json']);
  return { code, report: JSON.parse(out) as JsonReport, err };
}

/** Finding ids with their severity and line, in the report's order. */
const summary = (findings: readonly Finding[]): [string, string, number | null][] => findings.map((f) => [f.id, f.severity, f.location.line]);

describe('the templates vendors publish', () => {
  it('Datadog: its whole account is trusted; it reads Keyspaces rows and log events, writes subscriptions, notifications and an event bus; SecurityAudit on request', async () => {
    // Given Datadog's integration role template (AWS Marketplace quick start), default parameters
    const { code, report } = await checkJson([DATADOG]);
    // Then the reviewer's findings, at the statements' lines
    expect(code).toBe(1);
    expect(report.roles.map((r) => r.name)).toEqual(['DatadogIntegrationRole']);
    expect(summary(report.findings)).toEqual([
      ['trust-root-principal', 'high', 73],
      ['permission-sensitive-action', 'high', 94],
      ['permission-write', 'medium', 94],
      ['permission-aws-managed', 'medium', 83],
    ]);
    const [root, sensitive, write, managed] = report.findings;
    expect(root!.details.principal).toBe('arn:aws:iam::464622532012:root');
    expect(sensitive!.details.actions).toEqual(['cassandra:Select', 'logs:FilterLogEvents']);
    expect(write!.details.actions).toEqual(['events:CreateEventBus', 'logs:DeleteSubscriptionFilter', 'logs:PutSubscriptionFilter', 's3:PutBucketNotification', 'sns:Publish', 'support:RefreshTrustedAdvisorCheck']);
    expect(managed!.message).toContain('only when the template\'s condition ShouldInstallCSPMPolicy is true, which it is not with the default parameters');
  });

  it('Datadog: the site parameter picks the account the nested !If names', async () => {
    const { report } = await checkJson([DATADOG, '--parameter', 'DatadogSite=ap1.datadoghq.com']);
    expect(report.findings[0]!.details.principal).toBe('arn:aws:iam::417141415827:root');
  });

  it('Prowler: an account narrowed to role/prowler*, Glue passwords, Lambda code and environment, log events, a Security Hub write, S3 writes on request, SecurityAudit and ViewOnlyAccess', async () => {
    const { report } = await checkJson([PROWLER]);
    expect(summary(report.findings)).toEqual([
      ['permission-sensitive-action', 'high', 88],
      ['trust-root-principal', 'medium', 70],
      ['permission-write', 'medium', 88],
      ['permission-write', 'medium', 149],
      ['permission-write', 'medium', 165],
      ['permission-aws-managed', 'medium', 81],
      ['permission-aws-managed', 'low', 82],
    ]);
    expect(report.findings[0]!.details.actions).toEqual(['glue:GetConnections', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'logs:FilterLogEvents']);
    expect(report.findings[1]!.details.narrowedTo).toEqual(['arn:aws:iam::232136659152:role/prowler*']);
    expect(report.findings[3]!.message).toContain('S3Integration (only when the template\'s condition S3IntegrationEnabled is true');
  });

  it('Snyk Cloud: the trust is right (one role, an external ID), the permissions read parameters, Glue passwords, Lambda code and Athena results', async () => {
    const { report } = await checkJson([SNYK_CLOUD]);
    expect(summary(report.findings)).toEqual([
      ['permission-sensitive-action', 'high', 52],
      ['permission-aws-managed', 'medium', 131],
    ]);
    expect(report.findings[0]!.details.actions).toEqual(['athena:GetQueryResults', 'glue:GetConnection', 'glue:GetConnections', 'lambda:GetFunction', 'ssm:GetParameter', 'ssm:GetParameters']);
  });

  it('Snyk Cloud: with the vendor role, the account parameter is the one open question, then none', async () => {
    const vendor = 'arn:aws:iam::123456789012:role/snyk-generate-credentials';
    const open = await checkJson([SNYK_CLOUD, '--vendor-role', vendor]);
    expect(open.report.findings.filter((f) => f.id.startsWith('trust-')).map((f) => [f.id, f.severity])).toEqual([['trust-principal-unresolved', 'low']]);
    const given = await checkJson([SNYK_CLOUD, '--vendor-role', vendor, '--parameter', 'SnykCloudAWSAccountNumber=123456789012']);
    expect(given.report.findings.filter((f) => f.id.startsWith('trust-'))).toEqual([]);
    const other = await checkJson([SNYK_CLOUD, '--vendor-role', vendor, '--parameter', 'SnykCloudAWSAccountNumber=999999999999']);
    expect(other.report.findings.filter((f) => f.id.startsWith('trust-')).map((f) => f.id)).toEqual(['trust-vendor-mismatch']);
  });

  it('Snyk ECR: its whole account is trusted, and it pulls images', async () => {
    const { report } = await checkJson([SNYK_ECR]);
    expect(summary(report.findings)).toEqual([
      ['trust-root-principal', 'high', 43],
      ['permission-sensitive-action', 'high', 56],
    ]);
    expect(report.findings[1]!.details.actions).toEqual(['ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken']);
  });

  it('CloudZero: its whole account is trusted; the Billing job function writes payments; CloudWatch logs, SecurityAudit, ViewOnlyAccess and a policy the table lacks', async () => {
    const { report } = await checkJson([CLOUDZERO]);
    expect(summary(report.findings)).toEqual([
      ['trust-root-principal', 'high', 43],
      ['permission-sensitive-action', 'high', 122],
      ['permission-sensitive-action', 'high', 132],
      ['permission-aws-managed', 'high', 55],
      ['permission-service-wildcard', 'medium', 66],
      ['permission-aws-managed', 'medium', 52],
      ['permission-aws-managed', 'medium', 53],
      ['permission-aws-managed', 'low', 54],
      ['permission-aws-managed', 'low', 56],
    ]);
    expect(report.findings.filter((f) => f.id === 'permission-aws-managed').map((f) => f.details.policy)).toEqual(['Billing', 'CloudWatchReadOnlyAccess', 'SecurityAudit', 'ViewOnlyAccess', 'AWSBillingReadOnlyAccess']);
    // The policy resource shares the role's condition, so its statements do not repeat it.
    expect(report.findings[1]!.message).not.toContain('only when');
  });

  it('lists every template\'s role in the text listing, grouped, with each rule\'s why and fix once per role', async () => {
    // Given all five templates at once
    const { code, out } = await cli(['check-role', DATADOG, PROWLER, SNYK_CLOUD, SNYK_ECR, CLOUDZERO]);
    // Then one block per role, and the totals
    expect(code).toBe(1);
    expect(out).toMatch(/^check-role: 5 roles checked from 5 files\n/);
    for (const name of ['DatadogIntegrationRole', 'ProwlerScan', 'SnykCloudRole', 'SnykECRIntegrationRole', 'Role']) expect(out).toMatch(new RegExp(`^${name}  CloudFormation AWS::IAM::Role`, 'm'));
    expect(out).toContain('present only when the template\'s condition CreateResources is true');
    const prowler = out.slice(out.indexOf('ProwlerScan  '), out.indexOf('SnykCloudRole  '));
    expect(prowler.match(/why: A read-only integration that can write/g)).toHaveLength(1);
    expect(out.trimEnd().split('\n').at(-1)).toBe('10 high, 11 medium, 3 low in 5 roles.');
  });
});

describe('reading a CloudFormation template', () => {
  it('reads every short-form tag into its long form', () => {
    const doc = parseDocument(readFileSync(join(CASES, 'short-form-tags.yaml'), 'utf8'));
    const role = (doc.value as { Resources: { TaggedRole: { Properties: Record<string, unknown> } } }).Resources.TaggedRole.Properties;
    expect(role.RoleName).toEqual({ 'Fn::Join': ['-', ['vendor', { Ref: 'Stage' }, { 'Fn::Select': ['1', { 'Fn::Split': [',', 'a,b,c'] }] }]] });
    expect(role.Description).toEqual({ 'Fn::Base64': 'plain' });
    expect((role.Tags as { Value: unknown }[]).map((t) => t.Value)).toEqual([
      { 'Fn::Select': ['0', { 'Fn::GetAZs': '' }] },
      { 'Fn::Select': ['0', { 'Fn::Cidr': ['10.0.0.0/16', '2', '8'] }] },
      { 'Fn::ImportValue': 'shared-vpc' },
      { 'Fn::GetAtt': ['TaggedRole', 'Arn'] },
    ]);
    const conditions = (doc.value as { Conditions: Record<string, unknown> }).Conditions;
    expect(conditions.NotProd).toEqual({ 'Fn::Not': [{ Condition: 'IsProd' }] });
  });

  it('resolves the tags: joins, selects, splits, mappings, conditions, Sub with variables; a macro is unreadable', () => {
    // Given the template with every tag; when read
    const [role] = readRoleInputs([join(CASES, 'short-form-tags.yaml')]).roles;
    // Then the name and principal are resolved, the external ID chosen by the condition, both branches of the permission kept
    expect(role!.name).toBe('vendor-prod-b');
    expect(role!.trust!.statements[0]!.json).toEqual({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::${VendorAccount}:role/vendor-outbound' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'prod-external-id' } },
    });
    expect(role!.inline[0]!.statements[0]!.json.Action).toEqual(['ec2:DescribeInstances', 'ec2:DescribeVpcs']);
    expect(role!.unreadable.map((u) => u.name)).toEqual(['Fn::Transform VendorMacro']);
    expect(lintRole(role!, DEFAULT_LINT_OPTIONS).map((f) => f.id)).toEqual(['policy-unreadable']);
  });

  it('takes a --parameter value over the default, and the other branch of a condition with it', () => {
    const [role] = readRoleInputs([join(CASES, 'short-form-tags.yaml')], { Stage: 'dev', VendorAccount: '444455556666' }).roles;
    expect(role!.name).toBe('vendor-dev-b');
    expect(role!.trust!.statements[0]!.json).toEqual({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:role/vendor-outbound-dev' }, Action: 'sts:AssumeRole', Condition: { StringEquals: {} } });
  });

  it('reads a JSON template, finds a clean integration role, and skips the role only Lambda may assume', async () => {
    const { code, report } = await checkJson([join(CASES, 'clean-integration.json')]);
    expect(code).toBe(0);
    expect(report.roles).toEqual([expect.objectContaining({ name: 'VendorIntegration', findings: 0 })]);
    expect(report.skipped).toEqual([expect.objectContaining({ name: 'ForwarderRole', reason: 'trusts only lambda.amazonaws.com' })]);
  });

  it('locates a JSON template\'s statements by line', () => {
    const [role] = readRoleInputs([join(CASES, 'clean-integration.json')]).roles;
    expect(role!.trust!.statements[0]!.source.line).toBe(17);
    expect(role!.inline[0]!.statements[0]!.source.line).toBe(32);
  });
});

describe('reading a Terraform plan', () => {
  it('finds the module\'s role with its inline policy, its attachments through configuration references, and skips the Lambda role', async () => {
    const { code, report } = await checkJson([join(CASES, 'terraform-plan.json')]);
    expect(code).toBe(1);
    expect(report.skipped.map((s) => [s.name, s.reason])).toEqual([['exporter-lambda', 'trusts only lambda.amazonaws.com']]);
    expect(summary(report.findings)).toEqual([
      ['trust-root-principal', 'high', 57],
      ['permission-sensitive-action', 'high', 44],
      ['permission-sensitive-action', 'high', 44],
      ['permission-aws-managed', 'high', 84],
      ['permission-write', 'medium', 79],
      ['session-duration', 'medium', 49],
    ]);
    expect(report.findings[2]!.message).toContain('statement "PassScanner" of managed policy vendor-integration-read allows iam:PassRole on arn:aws:iam::111122223333:role/vendor-*');
  });

  it('answers --role to the resource address too', async () => {
    const { report } = await checkJson([join(CASES, 'terraform-plan.json'), '--role', 'aws_iam_role.lambda']);
    expect(report.roles.map((r) => r.name)).toEqual(['exporter-lambda']);
  });

  it('refuses HCL, saying how to get the plan\'s JSON', async () => {
    const { code, err } = await cli(['check-role', join(CASES, 'vendor.tf')]);
    expect(code).toBe(2);
    expect(err).toContain('vendor.tf: Terraform configuration (HCL) is not read');
    expect(err).toContain('terraform show -json plan.tfplan > plan.json');
  });

  it('refuses Terraform configuration in JSON syntax the same way', async () => {
    const file = join(tempDir('arw-check-role-'), 'main.tf.json');
    writeFileSync(file, JSON.stringify({ resource: { aws_iam_role: { vendor: { name: 'x' } } } }));
    const { code, err } = await cli(['check-role', file]);
    expect(code).toBe(2);
    expect(err).toContain('main.tf.json: Terraform configuration (HCL) is not read');
  });
});

describe('reading the AWS CLI\'s output', () => {
  const roleFiles = ['get-role.json', 'get-role-policy.json', 'list-attached-role-policies.json', 'list-role-policies.json'].map((f) => join(CLI, f));

  it('merges one role\'s files: the URL-encoded trust, the inline policy, the attachments, and what is listed but missing', async () => {
    const { report } = await checkJson(roleFiles);
    expect(report.roles.map((r) => r.name)).toEqual(['VendorIntegration']);
    expect(summary(report.findings)).toEqual([
      ['trust-external-id-weak', 'high', 8],
      ['permission-sensitive-action', 'high', 16],
      ['permission-aws-managed', 'medium', 3],
      ['trust-session-tags', 'low', 8],
      ['policy-unreadable', 'low', 7],
      ['policy-unreadable', 'low', 2],
    ]);
    expect(report.findings[0]!.message).toBe('statement "VendorOutbound": StringLike with "acme-*" accepts other values');
  });

  it('reads get-account-authorization-details: the roles, their customer managed policies\' default versions, and the Deny among them', async () => {
    const { report } = await checkJson([join(CLI, 'get-account-authorization-details.json')]);
    expect(report.skipped.map((s) => s.name)).toEqual(['web-server']);
    expect(summary(report.findings)).toEqual([
      ['trust-root-principal', 'high', 14],
      ['permission-aws-managed', 'high', 37],
      ['trust-several-principals', 'medium', 14],
    ]);
    expect(report.findings[1]!.message).toContain('a Deny of the role removes dynamodb:Query, dynamodb:Scan');
  });

  it('reads a file that starts with a byte order mark', async () => {
    const file = write(tempDir('arw-check-role-'), 'role.json', `\uFEFF${readFileSync(join(CLI, 'get-role.json'), 'utf8')}`);
    expect((await checkJson([file])).report.roles.map((r) => r.name)).toEqual(['VendorIntegration']);
  });

  it('refuses list output when it cannot tell which role it belongs to', async () => {
    const { code, err } = await cli(['check-role', join(CLI, 'list-attached-role-policies.json'), join(CLI, 'get-account-authorization-details.json')]);
    expect(code).toBe(2);
    expect(err).toContain('list-attached-role-policies.json: list-attached-role-policies and list-role-policies output does not name its role, and the other inputs name 2 roles (AuditVendor, web-server)');
  });
});

describe('the command', () => {
  it('prints its help, and is listed in the program\'s', async () => {
    expect((await cli(['check-role', '--help'])).out).toBe(`${commandHelp('assumerole-watch', CHECK_ROLE_COMMAND)}\n`);
    expect((await cli(['help', 'check-role'])).out).toBe(`${commandHelp('assumerole-watch', CHECK_ROLE_COMMAND)}\n`);
    expect((await cli(['--help'])).out).toMatch(/^ {2}check-role {2}Lints the integration role/m);
  });

  it.each([
    [['check-rol', 'x'], 'unknown command "check-rol" (did you mean check-role?)'],
    [['check-role', 'x', '--vendor-rol', 'arn'], 'unknown option --vendor-rol (did you mean --vendor-role?)'],
    [['check-role', 'x', '--format', 'sarf'], '--format takes text, json, sarif, got "sarf" (did you mean sarif?)'],
    [['check-role', 'x', '--json', '--format', 'sarif'], '--json and --format sarif disagree'],
    [['check-role'], 'missing <template|plan.json|cli-output.json>'],
    [['check-role', 'x', '--vendor-role', 'arn:aws:iam::444455556666:root'], '--vendor-role takes the vendor\'s role ARN'],
    [['check-role', 'x', '--parameter', 'NoEquals'], '--parameter takes KEY=VALUE, got "NoEquals"'],
    [['check-role', 'x', '--max-session-hours', '13'], '--max-session-hours takes a whole number from 1 to 12, got "13"'],
  ])('exits 2 on %j, naming the mistake', async (argv, message) => {
    const { code, err } = await cli(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('names a --parameter no template declares, with the one meant', async () => {
    const { code, err } = await cli(['check-role', DATADOG, '--parameter', 'DatadogSit=ap1.datadoghq.com']);
    expect(code).toBe(2);
    expect(err).toContain('--parameter DatadogSit: no template of the inputs declares it (did you mean DatadogSite?)');
  });

  it('names a --role the inputs lack, and the roles they hold', async () => {
    const { code, err } = await cli(['check-role', DATADOG, '--role', 'Nope']);
    expect(code).toBe(2);
    expect(err).toContain('--role Nope: no such role in the inputs; they hold DatadogIntegrationRole');
  });

  it.each([
    ['a file that does not exist', (dir: string) => join(dir, 'missing.yaml'), /missing\.yaml: cannot read it: /],
    ['YAML that does not parse', (dir: string) => write(dir, 'bad.yaml', 'Resources:\n  Role: [unclosed\n'), /bad\.yaml:\d+: not valid YAML: /],
    ['JSON that does not parse', (dir: string) => write(dir, 'bad.json', '{"Resources": {'), /bad\.json:\d+: not valid JSON: /],
    ['a YAML alias, which could stand for billions of nodes', (dir: string) => write(dir, 'alias.yaml', 'Resources: &r\n  R: {Type: AWS::IAM::Role}\nOther: *r\n'), /alias\.yaml:3: not valid YAML: a YAML alias \(\*name\) repeats a mapping or list/],
    ['a document of another kind', (dir: string) => write(dir, 'config.json', '{"monitoredRoleArns": []}'), /config\.json: not a CloudFormation template \(no Resources\), a Terraform plan .*: its top-level keys are monitoredRoleArns/],
    ['a policy document that is not JSON', (dir: string) => write(dir, 'role.json', JSON.stringify({ Role: { RoleName: 'r', Arn: 'arn:aws:iam::111122223333:role/r', AssumeRolePolicyDocument: '%7Bnot json' } })), /role\.json:\d+: a policy document that is not JSON/],
  ])('exits 2 on %s, naming the file and what is wrong', async (_what, make, message) => {
    const dir = tempDir('arw-check-role-');
    const { code, err } = await cli(['check-role', make(dir)]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('exits 2 when the inputs hold no role at all', async () => {
    const dir = tempDir('arw-check-role-');
    const file = write(dir, 'bucket.yaml', 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n');
    const { code, err } = await cli(['check-role', file]);
    expect(code).toBe(2);
    expect(err).toContain('bucket.yaml holds no IAM role');
    expect(err).toContain('no IAM role in the inputs: nothing was checked');
  });

  it('writes the report to --out and says so', async () => {
    const out = join(tempDir('arw-check-role-'), 'report.json');
    const { code, out: stdout, err } = await cli(['check-role', SNYK_ECR, '--json', '--out', out]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(err).toContain(`2 findings in 1 role written to ${out}`);
    expect((JSON.parse(readFileSync(out, 'utf8')) as JsonReport).summary).toEqual({ high: 2, medium: 0, low: 0, total: 2 });
  });

  it('gives JSON with schemaVersion 1, each finding with its rule\'s title, why and fix', async () => {
    const { report } = await checkJson([SNYK_ECR]);
    expect(report.schemaVersion).toBe(1);
    const rule = RULES.find((r) => r.id === 'trust-root-principal')!;
    expect(report.findings[0]).toEqual(expect.objectContaining({ id: rule.id, title: rule.title, why: rule.why, fix: rule.fix, role: 'SnykECRIntegrationRole', statement: expect.objectContaining({ policy: 'trust policy', index: 0, sid: null }) }));
  });

  it('colours severities on a terminal only, and never the vendor\'s text', async () => {
    // Given a template whose Sid carries a terminal escape
    const dir = tempDir('arw-check-role-');
    const file = write(dir, 'evil.json', JSON.stringify({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Sid: 'x\u001b[2Jy', Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'e' } } }] } } } } }));
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      let terminal = '';
      const io: Io = { out: (t) => void (terminal += t), err: () => undefined, errIsTty: false, outIsTty: true };
      expect(await main(['check-role', file], io)).toBe(1);
      // Then the severity is coloured, and the escape from the input is shown escaped
      expect(terminal).toContain('\x1b[31mHIGH  \x1b[0m');
      expect(terminal).not.toContain('\u001b[2J');
      expect(terminal).toContain('\\u001b[2J');
      expect((await cli(['check-role', file])).out).not.toContain('\x1b[');
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });

  it('exits 0 when nothing another account may assume is found, saying nothing was checked', async () => {
    const dir = tempDir('arw-check-role-');
    const file = write(dir, 'lambda.yaml', 'Resources:\n  Fn:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: { Service: lambda.amazonaws.com }\n            Action: sts:AssumeRole\n');
    const { code, out, err } = await cli(['check-role', file]);
    expect(code).toBe(0);
    expect(out).toContain('skipped Fn');
    expect(err).toContain('no role in the inputs lets another account assume it');
  });
});

/** Writes `text` to `dir/name`; the path. */
function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
