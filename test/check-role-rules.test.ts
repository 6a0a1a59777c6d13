/**
 * check-role's rules on small hand-written roles: each rule fires where a reviewer would object,
 * and stays quiet on the look-alikes that are fine (a list of external IDs, a ForAnyValue
 * operator, a condition key in another case, a principal as a string or a list, a Deny that
 * narrows or enforces, a Deny that grants nothing).
 */
import { lintRole, selectRoles } from '../cli/check-role/lint';
import type { ExpectedPolicy, LintOptions, PolicyDocument, RoleDefinition, Statement } from '../cli/check-role/types';
import { DEFAULT_LINT_OPTIONS } from '../cli/check-role/types';

const VENDOR = 'arn:aws:iam::444455556666:role/vendor-outbound';
const FILE = 'role.json';

/** Statements as a document holds them. */
function statements(list: readonly Record<string, unknown>[]): Statement[] {
  return list.map((json, index) => ({ json, index, sid: typeof json.Sid === 'string' ? json.Sid : null, source: { file: FILE, line: 10 + index }, when: null }));
}

/** A policy document. */
function doc(label: string, list: readonly Record<string, unknown>[]): PolicyDocument {
  return { label, statements: statements(list), source: { file: FILE, line: 1 }, when: null };
}

/** A role with this trust, these inline policies and anything else given. */
function role(trust: readonly Record<string, unknown>[] | null, inline: readonly (readonly Record<string, unknown>[])[] = [], more: Partial<RoleDefinition> = {}): RoleDefinition {
  return {
    name: 'VendorIntegration',
    aliases: [],
    arn: 'arn:aws:iam::111122223333:role/VendorIntegration',
    accountId: '111122223333',
    origin: 'test',
    source: { file: FILE, line: 1 },
    when: null,
    trust: trust === null ? null : doc('trust policy', trust),
    inline: inline.map((p, i) => doc(`inline policy p${i}`, p)),
    attached: [],
    unreadable: [],
    maxSessionDuration: null,
    permissionsBoundary: null,
    ...more,
  };
}

const EXTERNAL_ID = { StringEquals: { 'sts:ExternalId': 'acme-7f3a' } };

/** An Allow of sts:AssumeRole to `principal` with `condition`. */
function allow(principal: unknown, condition: Record<string, unknown> | null = EXTERNAL_ID, action: unknown = 'sts:AssumeRole'): Record<string, unknown> {
  return { Effect: 'Allow', Principal: principal, Action: action, ...(condition === null ? {} : { Condition: condition }) };
}

/** The finding ids of a role, sorted. */
function ids(r: RoleDefinition, options: Partial<LintOptions> = {}): string[] {
  return lintRole(r, { ...DEFAULT_LINT_OPTIONS, ...options }).map((f) => f.id).sort();
}

/** A role trusting the vendor's role properly, with `actions` allowed on `resource`. */
function granting(actions: unknown, resource: unknown = '*', extra: Record<string, unknown>[] = []): RoleDefinition {
  return role([allow({ AWS: VENDOR })], [[{ Effect: 'Allow', Action: actions, Resource: resource }, ...extra]]);
}

describe('trust: who may assume the role', () => {
  it.each([
    ['Principal "*"', allow('*'), ['trust-wildcard-principal']],
    ['AWS: "*"', allow({ AWS: '*' }), ['trust-wildcard-principal']],
    ['a whole account by its root ARN', allow({ AWS: 'arn:aws:iam::444455556666:root' }), ['trust-root-principal']],
    ['a whole account by its bare ID', allow({ AWS: '444455556666' }), ['trust-root-principal']],
    ['a root ARN in a list of one', allow({ AWS: ['arn:aws:iam::444455556666:root'] }), ['trust-root-principal']],
    ['a root ARN whose account is a template parameter', allow({ AWS: 'arn:aws:iam::${VendorAccount}:root' }), ['trust-root-principal']],
    ['an IAM user', allow({ AWS: 'arn:aws:iam::444455556666:user/integration' }), ['trust-not-role-principal']],
    ['a deleted role\'s unique ID', allow({ AWS: 'AROAQXAMPLEROLEID9999' }), ['trust-not-role-principal']],
    ['a principal set at deploy time', allow({ AWS: '${TrustedIdentity}' }), ['trust-principal-unresolved']],
  ])('reports %s', (_what, statement, expected) => {
    // Given a trust with that principal and a proper external ID; when linted; then the rule fires
    expect(ids(role([statement]))).toEqual(expected);
  });

  it('reports an Allow with NotPrincipal as admitting everyone else', () => {
    const r = role([{ Effect: 'Allow', NotPrincipal: { AWS: VENDOR }, Action: 'sts:AssumeRole', Condition: EXTERNAL_ID }]);
    expect(ids(r)).toEqual(['trust-wildcard-principal']);
  });

  it('reports several principals, naming them all', () => {
    // Given the vendor's role beside another account's and a service
    const r = role([allow({ AWS: [VENDOR, 'arn:aws:iam::777788889999:role/ops'], Service: 'ec2.amazonaws.com' })]);
    // When linted
    const findings = lintRole(r, DEFAULT_LINT_OPTIONS);
    // Then one finding lists the three
    expect(findings.map((f) => f.id)).toEqual(['trust-several-principals']);
    expect(findings[0]!.details.principals).toEqual([VENDOR, 'arn:aws:iam::777788889999:role/ops', 'ec2.amazonaws.com']);
  });

  it('reports a root principal beside a role as both a whole account and several principals', () => {
    expect(ids(role([allow({ AWS: [VENDOR, 'arn:aws:iam::444455556666:root'] })]))).toEqual(['trust-root-principal', 'trust-several-principals']);
  });

  it('stays quiet on exactly one role ARN, given as a string or as a list', () => {
    expect(ids(role([allow({ AWS: VENDOR })]))).toEqual([]);
    expect(ids(role([allow({ AWS: [VENDOR] })]))).toEqual([]);
  });

  it('stays quiet on a root principal narrowed by aws:PrincipalArn to one role', () => {
    const r = role([allow({ AWS: 'arn:aws:iam::444455556666:root' }, { ...EXTERNAL_ID, ArnEquals: { 'aws:PrincipalArn': VENDOR } })]);
    expect(ids(r)).toEqual([]);
    expect(ids(r, { vendorRole: VENDOR })).toEqual([]);
  });

  it('stays quiet on a root principal that a Deny narrows to one role', () => {
    const deny = { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { ArnNotEquals: { 'aws:PrincipalArn': VENDOR } } };
    expect(ids(role([allow({ AWS: 'arn:aws:iam::444455556666:root' }), deny]))).toEqual([]);
  });

  it('reports a root principal narrowed only to a pattern, at medium severity', () => {
    // Given Prowler's shape: the account, narrowed to role/prowler*
    const r = role([allow({ AWS: 'arn:aws:iam::232136659152:root' }, { ...EXTERNAL_ID, StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::232136659152:role/prowler*' } })]);
    // When linted; then the account principal is reported, at medium, naming the pattern
    const [f] = lintRole(r, DEFAULT_LINT_OPTIONS);
    expect([f!.id, f!.severity]).toEqual(['trust-root-principal', 'medium']);
    expect(f!.message).toContain('role/prowler*');
  });

  it('does not count a Deny\'s principals as admitted', () => {
    const deny = { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    const denyOther = { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::777788889999:root' }, Action: 'sts:AssumeRole' };
    expect(ids(role([allow({ AWS: VENDOR }), deny, denyOther]))).toEqual([]);
  });

  describe('with --vendor-role', () => {
    it('stays quiet when the trust names the vendor role', () => {
      expect(ids(role([allow({ AWS: VENDOR })]), { vendorRole: VENDOR })).toEqual([]);
    });

    it('reports another role as a mismatch', () => {
      expect(ids(role([allow({ AWS: 'arn:aws:iam::444455556666:role/someone-else' })]), { vendorRole: VENDOR })).toEqual(['trust-vendor-mismatch']);
    });

    it('reports a trust that admits no one as a mismatch, at the trust policy', () => {
      const [f] = lintRole(role([]), { ...DEFAULT_LINT_OPTIONS, vendorRole: VENDOR });
      expect([f!.id, f!.statement, f!.message]).toEqual(['trust-vendor-mismatch', null, `the trust does not name the vendor role ${VENDOR}: it names no AWS principal`]);
    });

    it('reports the vendor\'s whole account as a root principal, not a mismatch', () => {
      const [f] = lintRole(role([allow({ AWS: 'arn:aws:iam::444455556666:root' })]), { ...DEFAULT_LINT_OPTIONS, vendorRole: VENDOR });
      expect(f!.id).toBe('trust-root-principal');
      expect(f!.message).toContain(`the vendor's whole account 444455556666, not its role ${VENDOR}`);
    });

    it('reports a principal whose account is a parameter as unresolved, at low severity, naming the parameter', () => {
      const r = role([allow({ AWS: 'arn:aws:iam::${SnykCloudAWSAccountNumber}:role/vendor-outbound' })]);
      const findings = lintRole(r, { ...DEFAULT_LINT_OPTIONS, vendorRole: VENDOR });
      expect(findings.map((f) => [f.id, f.severity])).toEqual([['trust-principal-unresolved', 'low']]);
      expect(findings[0]!.details.parameters).toEqual(['SnykCloudAWSAccountNumber']);
    });
  });
});

describe('trust: the external ID', () => {
  it.each([
    ['absent', null, 'trust-external-id-missing'],
    ['StringLike with a wildcard', { StringLike: { 'sts:ExternalId': 'acme-*' } }, 'trust-external-id-weak'],
    ['StringEqualsIfExists (absent passes)', { StringEqualsIfExists: { 'sts:ExternalId': 'acme-7f3a' } }, 'trust-external-id-weak'],
    ['ForAllValues:StringEquals (absent passes)', { 'ForAllValues:StringEquals': { 'sts:ExternalId': 'acme-7f3a' } }, 'trust-external-id-weak'],
    ['StringNotEquals in the Allow', { StringNotEquals: { 'sts:ExternalId': 'other' } }, 'trust-external-id-weak'],
    ['a Null check only', { Null: { 'sts:ExternalId': 'false' } }, 'trust-external-id-weak'],
    ['a condition on another key', { StringEquals: { 'aws:PrincipalTag/team': 'acme' } }, 'trust-external-id-missing'],
  ])('reports an external ID condition that is %s', (_what, condition, expected) => {
    expect(ids(role([allow({ AWS: VENDOR }, condition)]))).toEqual([expected]);
  });

  it.each([
    ['StringEquals with one ID', { StringEquals: { 'sts:ExternalId': 'acme-7f3a' } }],
    ['StringEquals with a list of IDs', { StringEquals: { 'sts:ExternalId': ['acme-prod', 'acme-staging'] } }],
    ['ForAnyValue:StringEquals (false when absent)', { 'ForAnyValue:StringEquals': { 'sts:ExternalId': 'acme-7f3a' } }],
    ['the key in lower case', { StringEquals: { 'sts:externalid': 'acme-7f3a' } }],
    ['the key in upper case', { StringEquals: { 'STS:EXTERNALID': 'acme-7f3a' } }],
    ['StringLike without a wildcard', { StringLike: { 'sts:ExternalId': 'acme-7f3a' } }],
    ['a template parameter', { StringEquals: { 'sts:ExternalId': '${ExternalId}' } }],
  ])('stays quiet on %s', (_what, condition) => {
    expect(ids(role([allow({ AWS: VENDOR }, condition)]))).toEqual([]);
  });

  it('accepts a Deny of any other external ID in place of the Allow\'s condition', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Condition: { StringNotEquals: { 'sts:ExternalId': 'acme-7f3a' } } };
    expect(ids(role([allow({ AWS: VENDOR }, null), deny]))).toEqual([]);
  });

  it('accepts IfExists when a Deny requires the key to be present', () => {
    const deny = { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { Null: { 'sts:ExternalId': 'true' } } };
    expect(ids(role([allow({ AWS: VENDOR }, { StringEqualsIfExists: { 'sts:ExternalId': 'acme-7f3a' } }), deny]))).toEqual([]);
  });

  it('does not ask a service principal for an external ID', () => {
    const r = role([allow({ Service: 'lambda.amazonaws.com' }, null)], [], {});
    expect(ids(r)).toEqual([]);
  });
});

describe('trust: session tags and source identity', () => {
  it.each([
    ['sts:TagSession', ['sts:AssumeRole', 'sts:TagSession']],
    ['sts:SetSourceIdentity', ['sts:AssumeRole', 'sts:SetSourceIdentity']],
    ['sts:* (both)', 'sts:*'],
  ])('reports %s in the trust', (_what, action) => {
    expect(ids(role([allow({ AWS: VENDOR }, EXTERNAL_ID, action)]))).toEqual(['trust-session-tags']);
  });

  it('stays quiet with --allow-session-tags', () => {
    expect(ids(role([allow({ AWS: VENDOR }, EXTERNAL_ID, ['sts:AssumeRole', 'sts:TagSession'])]), { allowSessionTags: true })).toEqual([]);
  });
});

describe('which roles are checked', () => {
  it('skips roles that only services, or only the role\'s own account, may assume, with the reason', () => {
    // Given an integration role, a Lambda role, and a role the account's own admins assume
    const vendor = role([allow({ AWS: VENDOR })], [], { name: 'vendor' });
    const lambda = role([allow({ Service: 'lambda.amazonaws.com' }, null)], [], { name: 'lambda' });
    const own = role([allow({ AWS: 'arn:aws:iam::111122223333:root' }, null)], [], { name: 'admins' });
    const template = role([allow({ AWS: 'arn:aws:iam::${AWS::AccountId}:root' }, null)], [], { name: 'template-admins', accountId: null });
    // When the roles are selected
    const { checked, skipped } = selectRoles([vendor, lambda, own, template], null);
    // Then only the integration role is checked
    expect(checked.map((r) => r.name)).toEqual(['vendor']);
    expect(skipped.map((s) => [s.role.name, s.reason])).toEqual([
      ['lambda', 'trusts only lambda.amazonaws.com'],
      ['admins', 'trusts no other account'],
      ['template-admins', 'trusts no other account'],
    ]);
  });

  it('checks a role --role names even when it trusts no other account, and names the unknown ones', () => {
    const lambda = role([allow({ Service: 'lambda.amazonaws.com' }, null)], [], { name: 'lambda', aliases: ['LambdaRole'] });
    const { checked, unknown } = selectRoles([lambda], ['LambdaRole', 'nope']);
    expect(checked.map((r) => r.name)).toEqual(['lambda']);
    expect(unknown).toEqual(['nope']);
  });
});

describe('permissions', () => {
  it.each([
    ['Action "*"', '*', ['permission-full-wildcard']],
    ['a service wildcard that covers sensitive actions', 's3:*', ['permission-sensitive-action', 'permission-service-wildcard']],
    ['a service wildcard of a service with none on the list', 'pricing:*', ['permission-service-wildcard']],
    ['a secret read', 'secretsmanager:GetSecretValue', ['permission-sensitive-action']],
    ['a secret read written in another case', 'SecretsManager:getSecretValue', ['permission-sensitive-action']],
    ['a wildcard covering parameter reads', 'ssm:Get*', ['permission-sensitive-action']],
    ['decryption', 'kms:Decrypt', ['permission-sensitive-action']],
    ['passing a role', 'iam:PassRole', ['permission-sensitive-action']],
    ['assuming roles onward', 'sts:AssumeRole', ['permission-sensitive-action']],
    ['object reads', 's3:GetObject', ['permission-sensitive-action']],
    ['a write', 's3:PutObject', ['permission-write']],
    ['an API Gateway write', 'apigateway:POST', ['permission-write']],
    ['a pattern that may be a delete', 'ec2:De*', ['permission-write']],
  ])('reports %s', (_what, action, expected) => {
    expect(ids(granting(action))).toEqual(expected);
  });

  it.each([
    ['Describe wildcards', ['ec2:Describe*', 'rds:Describe*']],
    ['metric reads', ['cloudwatch:GetMetricData', 'cloudwatch:List*']],
    ['API Gateway reads', 'apigateway:GET'],
    ['batch reads', ['ecr:BatchCheckLayerAvailability', 'codedeploy:BatchGet*']],
    ['bucket configuration', ['s3:GetBucketPolicy', 's3:ListAllMyBuckets']],
  ])('stays quiet on %s', (_what, actions) => {
    expect(ids(granting(actions))).toEqual([]);
  });

  it('names the sensitive actions a wildcard covers', () => {
    const [f] = lintRole(granting('lambda:GetFunction*'), DEFAULT_LINT_OPTIONS);
    expect(f!.details.actions).toEqual(['lambda:GetFunction', 'lambda:GetFunctionConfiguration']);
    expect(f!.message).toContain('lambda:GetFunction* (lambda:GetFunction, lambda:GetFunctionConfiguration) on every resource');
  });

  it('reports NotAction and NotResource', () => {
    const r = role([allow({ AWS: VENDOR })], [[{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, { Effect: 'Allow', Action: 'ec2:DescribeInstances', NotResource: 'arn:aws:ec2:*:*:instance/secret' }]]);
    expect(ids(r)).toEqual(['permission-not-action', 'permission-not-resource']);
  });

  it('does not report a Deny, which grants nothing', () => {
    const r = role([allow({ AWS: VENDOR })], [[{ Effect: 'Deny', Action: ['secretsmanager:GetSecretValue', '*'], Resource: '*' }]]);
    expect(ids(r)).toEqual([]);
  });

  it('subtracts an unconditional Deny from what is allowed, and not a conditional one', () => {
    const denied = granting('ssm:GetParameter', '*', [{ Effect: 'Deny', Action: 'ssm:GetParameter*', Resource: '*' }]);
    const conditional = granting('ssm:GetParameter', '*', [{ Effect: 'Deny', Action: 'ssm:GetParameter*', Resource: '*', Condition: { Bool: { 'aws:ViaAWSService': 'false' } } }]);
    expect(ids(denied)).toEqual([]);
    expect(ids(conditional)).toEqual(['permission-sensitive-action']);
  });

  describe('AWS managed policies', () => {
    const attached = (name: string, deny: Record<string, unknown>[] = []): RoleDefinition =>
      role([allow({ AWS: VENDOR })], deny.length > 0 ? [deny] : [], { attached: [{ arn: `arn:aws:iam::aws:policy/${name}`, source: { file: FILE, line: 30 }, when: null, document: null }] });

    it.each([
      ['ReadOnlyAccess', 'high', 's3:Get*'],
      ['AdministratorAccess', 'high', '*'],
      ['job-function/ViewOnlyAccess', 'low', 's3:ListBucket'],
      ['SecurityAudit', 'medium', 'lambda:GetFunctionConfiguration'],
    ])('reports %s at %s, naming what it grants', (name, severity, action) => {
      const [f] = lintRole(attached(name), DEFAULT_LINT_OPTIONS);
      expect([f!.id, f!.severity]).toEqual(['permission-aws-managed', severity]);
      expect(f!.details.sensitive).toContain(action);
      expect(f!.location).toEqual({ file: FILE, line: 30 });
    });

    it('reports a managed policy the table does not know at low severity', () => {
      const [f] = lintRole(attached('AWSBillingReadOnlyAccess'), DEFAULT_LINT_OPTIONS);
      expect([f!.id, f!.severity]).toEqual(['permission-aws-managed', 'low']);
    });

    it('notes the sensitive actions a Deny of the role removes', () => {
      const [f] = lintRole(attached('job-function/ViewOnlyAccess', [{ Effect: 'Deny', Action: 's3:ListBucket', Resource: '*' }]), DEFAULT_LINT_OPTIONS);
      expect([f!.severity, f!.details.sensitive]).toEqual(['low', []]);
      expect(f!.message).toContain('a Deny of the role removes s3:ListBucket');
    });

    it('reports a customer managed policy whose document is not in the inputs as unreadable', () => {
      const r = role([allow({ AWS: VENDOR })], [], { attached: [{ arn: 'arn:aws:iam::111122223333:policy/Extras', source: { file: FILE, line: 31 }, when: null, document: null }] });
      expect(ids(r)).toEqual(['policy-unreadable']);
    });
  });

  describe('against the expected policy', () => {
    const expected: ExpectedPolicy = {
      file: 'expected.json',
      statements: statements([{ Effect: 'Allow', Action: ['ec2:Describe*', 'logs:FilterLogEvents', 'logs:PutSubscriptionFilter', 'tag:GetResources'], Resource: '*' }]),
      managedPolicyArns: ['arn:aws:iam::aws:policy/SecurityAudit'],
    };

    it('accepts the sensitive actions and writes it lists', () => {
      expect(ids(granting(['ec2:Describe*', 'logs:FilterLogEvents', 'logs:PutSubscriptionFilter', 'tag:GetResources']), { expected })).toEqual([]);
    });

    it('reports what the role grants beyond it, by kind', () => {
      const r = granting(['ec2:Describe*', 'tag:GetResources', 'logs:FilterLogEvents', 'logs:PutSubscriptionFilter', 'ssm:GetParameter', 's3:PutObject', 'rds:DescribeDBInstances']);
      expect(ids(r, { expected })).toEqual(['permission-sensitive-action', 'permission-unexpected', 'permission-write']);
    });

    it('reports what it lists and the role lacks, a narrower grant included', () => {
      // Given a role granting one of the Describe actions the vendor lists as ec2:Describe*, and nothing else
      const findings = lintRole(granting(['ec2:DescribeInstances']), { ...DEFAULT_LINT_OPTIONS, expected });
      expect(findings.map((f) => f.id)).toEqual(['permission-missing']);
      expect(findings[0]!.details.actions).toEqual(['ec2:Describe*', 'logs:FilterLogEvents', 'logs:PutSubscriptionFilter', 'tag:GetResources']);
    });

    it('accepts the managed policies it documents', () => {
      const r = granting(['ec2:Describe*', 'logs:FilterLogEvents', 'logs:PutSubscriptionFilter', 'tag:GetResources']);
      const withAudit = { ...r, attached: [{ arn: 'arn:aws:iam::aws:policy/SecurityAudit', source: { file: FILE, line: 3 }, when: null, document: null }] };
      expect(ids(withAudit, { expected })).toEqual([]);
    });
  });
});

describe('session and boundary', () => {
  it('reports a session longer than the integration needs', () => {
    const r = role([allow({ AWS: VENDOR })], [], { maxSessionDuration: 43200 });
    expect(ids(r)).toEqual(['session-duration']);
    expect(ids(r, { maxSessionHours: 12 })).toEqual([]);
  });

  it('stays quiet on the default hour, set or not', () => {
    expect(ids(role([allow({ AWS: VENDOR })], [], { maxSessionDuration: 3600 }))).toEqual([]);
    expect(ids(role([allow({ AWS: VENDOR })]))).toEqual([]);
  });

  it('reports a missing boundary only when one is required', () => {
    const r = role([allow({ AWS: VENDOR })]);
    expect(ids(r)).toEqual([]);
    expect(ids(r, { requireBoundary: true })).toEqual(['boundary-missing']);
    expect(ids({ ...r, permissionsBoundary: 'arn:aws:iam::111122223333:policy/ThirdPartyBoundary' }, { requireBoundary: true })).toEqual([]);
  });

  it('reports a trust policy the inputs lack', () => {
    expect(ids(role(null))).toEqual(['policy-unreadable']);
  });
});
