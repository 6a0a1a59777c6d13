import { CONFIG_KEYS, ConfigError, loadConfig, resolveConfig } from '../lambdas/core/config';
import fc from 'fast-check';
import { parseIp } from '../lambdas/core/ip';

const MINIMAL = { monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'] };

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    resolveConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('configuration', () => {
  it('fills every key with its documented default', () => {
    // Given only the required key
    const config = resolveConfig(MINIMAL);
    // Then every other key has its default
    for (const spec of CONFIG_KEYS) {
      if (spec.name === 'monitoredRoleArns') continue;
      expect(config[spec.name]).toEqual(spec.default);
    }
  });

  it('requires monitoredRoleArns, naming the key and the expected form', () => {
    expect(problemsOf({})).toEqual(['monitoredRoleArns: required, expected ARN pattern[]']);
  });

  it('reports every invalid key at once', () => {
    // Given three bad keys
    const problems = problemsOf({ ...MINIMAL, volumeMaxCalls: 0, allowedCidrs: ['10.0.0.0/8', '10.0.0.0/33'], minAlertSeverity: 'urgent' });
    // Then all three are reported
    expect(problems).toEqual([
      'allowedCidrs[1]: "10.0.0.0/33" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)',
      'volumeMaxCalls: 0 is out of range 1..10000000; expected integer',
      'minAlertSeverity: "urgent" is not a severity; expected low|medium|high|critical',
    ]);
  });

  it.each([
    ['monitoredRoleArns', ['role/outbound'], 'monitoredRoleArns[0]: "role/outbound" is not an ARN'],
    ['monitoredRoleArns', 42, 'monitoredRoleArns: 42 is not a list of strings'],
    ['expectedCallerArns', ['arn:aws:iam::12:role/x'], 'expectedCallerArns[0]: "arn:aws:iam::12:role/x" is not an ARN'],
    ['humanRoleArnPatterns', [7], 'humanRoleArnPatterns: [7] is not a list of strings'],
    ['allowedCidrs', ['203.0.113.7'], 'allowedCidrs[0]: "203.0.113.7" is not a CIDR'],
    ['allowedCidrs', { nat: ['2001:db8::/129'] }, 'allowedCidrs.nat[0]: "2001:db8::/129" is not a CIDR'],
    ['allowedCidrs', 5, 'allowedCidrs: 5 is neither a list nor an object'],
    ['sessionNamePattern', '(unclosed', 'sessionNamePattern: "(unclosed" is not an RE2 regular expression (missing closing ): `(unclosed`); expected RE2 syntax: no lookaround, no backreferences'],
    ['sessionNamePattern', '(?=x)x', 'sessionNamePattern: "(?=x)x" is not an RE2 regular expression'],
    ['pivotRoleNamePatterns', ['(unclosed'], 'pivotRoleNamePatterns[0]: "(unclosed" is not an RE2 regular expression'],
    ['pivotRoleNamePatterns', ['.*admin.*', '(a)\\1'], 'pivotRoleNamePatterns[1]: "(a)\\\\1" is not an RE2 regular expression'],
    ['pivotRoleNameExceptions', ['AdminReadOnlyIntegration', '(?!x).*'], 'pivotRoleNameExceptions[1]: "(?!x).*" is not an RE2 regular expression'],
    ['pivotRoleNameExceptions', [''], 'pivotRoleNameExceptions[0]: "" is empty'],
    ['pivotRoleNamePatterns', [''], 'pivotRoleNamePatterns[0]: "" is empty'],
    ['pivotRoleNamePatterns', [7], 'pivotRoleNamePatterns: [7] is not a list of regular expressions'],
    ['pivotRoleNamePatterns', 'OrganizationAccountAccessRole,.*admin.*', 'pivotRoleNamePatterns: "OrganizationAccountAccessRole,.*admin.*" is ambiguous (a comma may be part of a pattern); give a JSON list'],
    ['volumeWindowMinutes', 1.5, 'volumeWindowMinutes: 1.5 is not a whole number; expected integer'],
    ['volumeWindowMinutes', 'soon', 'volumeWindowMinutes: "soon" is not a number; expected integer'],
    ['volumeSpikeFactor', 1, 'volumeSpikeFactor: 1 is out of range 1.1..1000; expected number'],
    ['learningPeriodDays', -1, 'learningPeriodDays: -1 is out of range 0..90; expected number'],
    ['requireExternalId', 'yes', 'requireExternalId: "yes" is not true or false; expected boolean'],
    ['roleRegions', ['eu-west-1'], 'roleRegions: ["eu-west-1"] is not an object'],
    ['roleRegions', { 'arn:aws:iam::210987654321:role/outbound-eu': 'europe' }, 'roleRegions.arn:aws:iam::210987654321:role/outbound-eu: "europe" is not a region'],
    ['roleRegions', { outbound: 'eu-west-1' }, 'roleRegions: key "outbound" is not a role ARN'],
    ['suppressionMinutes', 99999999, 'suppressionMinutes: 99999999 is out of range 0..43200'],
    ['failedAssumeMaxCalls', null, 'failedAssumeMaxCalls: null is not a number'],
    ['failedAssumeDailyMaxCalls', 0, 'failedAssumeDailyMaxCalls: 0 is out of range 1..1000000; expected integer'],
    ['failedAssumeDailyMaxCalls', 12.5, 'failedAssumeDailyMaxCalls: 12.5 is not a whole number; expected integer'],
    ['maxSessionDurationSeconds', 600, 'maxSessionDurationSeconds: 600 is out of range 900..43200; expected integer | null'],
    ['maxSessionDurationSeconds', '1h', 'maxSessionDurationSeconds: "1h" is not a number; expected integer | null'],
    ['requireSessionPolicy', 'required', 'requireSessionPolicy: "required" is not true or false; expected boolean'],
    ['allowedSessionPolicyArns', ['ReadOnlyAccess'], 'allowedSessionPolicyArns[0]: "ReadOnlyAccess" is not a policy ARN (arn:aws:iam::aws:policy/name or arn:aws:iam::123456789012:policy/name, * allowed)'],
    ['allowedSessionPolicyArns', ['arn:aws:s3:::vendor-bucket'], 'allowedSessionPolicyArns[0]: "arn:aws:s3:::vendor-bucket" is not a policy ARN'],
  ])('rejects %s = %j naming the key', (key, value, message) => {
    const problems = problemsOf({ ...MINIMAL, [key]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('suggests the intended name for a misspelt key', () => {
    expect(problemsOf({ ...MINIMAL, volumeMaxCall: 5 })).toEqual(['volumeMaxCall: unknown key (did you mean "volumeMaxCalls"?)']);
  });

  it('converts the strings that `cdk -c key=value` passes', () => {
    // Given every kind of key as a string
    const config = resolveConfig({
      monitoredRoleArns: 'arn:aws:iam::210987654321:role/outbound-eu, arn:aws:iam::210987654321:role/outbound-us',
      expectedCallerArns: '["arn:aws:iam::210987654321:role/integration-backend"]',
      allowedCidrs: '{"nat": ["52.48.10.7/32"]}',
      volumeMaxCalls: '250',
      volumeSpikeFactor: '2.5',
      requireExternalId: 'false',
      roleRegions: '{"arn:aws:iam::210987654321:role/outbound-eu": ["eu-west-1", "eu-central-1"]}',
    });
    // Then each has its type
    expect(config.monitoredRoleArns).toEqual(['arn:aws:iam::210987654321:role/outbound-eu', 'arn:aws:iam::210987654321:role/outbound-us']);
    expect(config.expectedCallerArns).toEqual(['arn:aws:iam::210987654321:role/integration-backend']);
    expect(config.allowedCidrs).toEqual({ nat: ['52.48.10.7/32'] });
    expect(config.volumeMaxCalls).toBe(250);
    expect(config.volumeSpikeFactor).toBe(2.5);
    expect(config.requireExternalId).toBe(false);
    expect(config.roleRegions).toEqual({ 'arn:aws:iam::210987654321:role/outbound-eu': ['eu-west-1', 'eu-central-1'] });
  });

  it('takes failedAssumeDailyMaxCalls from `-c failedAssumeDailyMaxCalls=200`, 50 by default', () => {
    // Given the daily ceiling as `cdk -c` passes it, and left out
    const set = resolveConfig({ ...MINIMAL, failedAssumeDailyMaxCalls: '200' });
    const unset = resolveConfig(MINIMAL);
    // Then it is a number, and the default is 50
    expect(set.failedAssumeDailyMaxCalls).toBe(200);
    expect(unset.failedAssumeDailyMaxCalls).toBe(50);
  });

  it('takes maxSessionDurationSeconds back to null (only the learned maximum) from JSON or `-c maxSessionDurationSeconds=null`', () => {
    // Given the ceiling set, then unset in each form
    expect(resolveConfig({ ...MINIMAL, maxSessionDurationSeconds: '3600' }).maxSessionDurationSeconds).toBe(3600);
    // Then each unset form is null
    for (const off of [null, 'null', '']) expect(resolveConfig({ ...MINIMAL, maxSessionDurationSeconds: off }).maxSessionDurationSeconds).toBeNull();
  });

  it('accepts AWS managed and customer policy ARN patterns in allowedSessionPolicyArns, and matches them', () => {
    // Given AWS managed policies (account "aws") and a customer-managed pattern, as a `-c` string
    const config = loadConfig({ ...MINIMAL, allowedSessionPolicyArns: 'arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::*:policy/vendor-session-*' });
    // Then those are allowed, and nothing else
    expect(config.isAllowedSessionPolicyArn('arn:aws:iam::aws:policy/ReadOnlyAccess')).toBe(true);
    expect(config.isAllowedSessionPolicyArn('arn:aws:iam::111122223333:policy/vendor-session-sync')).toBe(true);
    expect(config.isAllowedSessionPolicyArn('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(false);
    expect(config.isAllowedSessionPolicyArn('arn:aws:iam::111122223333:policy/vendor-admin')).toBe(false);
  });

  it('enforces no managed session policy list while allowedSessionPolicyArns is empty', () => {
    expect(loadConfig(MINIMAL).isAllowedSessionPolicyArn('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(true);
  });

  it('keeps the AWS managed form ("aws" for an account) out of role ARN keys', () => {
    expect(problemsOf({ ...MINIMAL, expectedCallerArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] })).toEqual([
      'expectedCallerArns[0]: "arn:aws:iam::aws:policy/ReadOnlyAccess" is not an ARN (arn:aws:iam::123456789012:role/name, * allowed)',
    ]);
  });

  it('makes a plain CIDR list one location group named "allowed"', () => {
    const config = loadConfig({ ...MINIMAL, allowedCidrs: ['52.48.10.0/24', '2001:db8::/48'] });
    expect(config.allowedGroups.lookup(parseIp('52.48.10.9')!)).toBe('allowed');
    expect(config.allowedGroups.lookup(parseIp('2001:db8:0:1::5')!)).toBe('allowed');
    expect(config.allowedGroups.lookup(parseIp('52.48.11.1')!)).toBeUndefined();
  });

  it('matches role ARN patterns with * and exact ARNs', () => {
    const config = loadConfig({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*', 'arn:aws:iam::111111111111:role/exact'] });
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/outbound-eu')).toBe(true);
    expect(config.isMonitoredRole('arn:aws:iam::111111111111:role/exact')).toBe(true);
    expect(config.isMonitoredRole('arn:aws:iam::111111111111:role/exact2')).toBe(false);
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/inbound-eu')).toBe(false);
    expect(config.isMonitoredRole(null)).toBe(false);
  });

  it('anchors sessionNamePattern to the whole name', () => {
    const config = loadConfig({ ...MINIMAL, sessionNamePattern: 'sync-[0-9]+' });
    expect(config.sessionNameRegex!.test('sync-1730000000')).toBe(true);
    expect(config.sessionNameRegex!.test('x-sync-1730000000')).toBe(false);
  });

  it('matches a session name of AWS\'s maximum length (64) against an accepted pattern quickly', () => {
    // Given an accepted pattern and a near-miss name of maximum length
    const config = loadConfig({ ...MINIMAL, sessionNamePattern: '[a-z]+(-[a-z0-9]+)?-[0-9]{10}' });
    const name = `${'a'.repeat(63)}!`;
    // When matched many times, it still finishes (a backtracking pattern would not)
    for (let i = 0; i < 1000; i++) expect(config.sessionNameRegex!.test(name)).toBe(false);
  });
});

describe('pivotRoleNamePatterns', () => {
  it('matches the default patterns against the whole role name, case-insensitively', () => {
    // Given the default patterns
    const match = loadConfig(MINIMAL).pivotRoleNamePattern;
    // Then the well-known pivot roles and any admin name match, and nothing else does
    expect(match('OrganizationAccountAccessRole')).toBe('OrganizationAccountAccessRole');
    expect(match('organizationaccountaccessrole')).toBe('OrganizationAccountAccessRole');
    expect(match('AWSControlTowerExecution')).toBe('AWSControlTowerExecution');
    expect(match('administrator')).toBe('.*admin.*');
    expect(match('AWSReservedSSO_AdministratorAccess_0123456789abcdef')).toBe('.*admin.*');
    expect(match('OrganizationAccountAccessRoleReader')).toBeNull();
    expect(match('VendorIntegrationRole')).toBeNull();
  });

  it('never matches a name longer than IAM allows (64), and matches one of 64', () => {
    // Given the default patterns and admin names of 64 and 65 characters
    const match = loadConfig(MINIMAL).pivotRoleNamePattern;
    const longest = `admin${'x'.repeat(59)}`;
    // Then only the one IAM could hold matches
    expect(longest).toHaveLength(64);
    expect(match(longest)).toBe('.*admin.*');
    expect(match(`${longest}x`)).toBeNull();
  });

  it('exempts the vendor\'s own Admin-named role through pivotRoleNameExceptions, case-insensitively', () => {
    // Given the default patterns and the vendor's own integration role as an exception
    const match = loadConfig({ ...MINIMAL, pivotRoleNameExceptions: ['AdminReadOnlyIntegration'] }).pivotRoleNamePattern;
    // Then that role (in any case) no longer matches, and other admin names still do
    expect(match('AdminReadOnlyIntegration')).toBeNull();
    expect(match('adminreadonlyintegration')).toBeNull();
    expect(match('AdminReadOnlyIntegration2')).toBe('.*admin.*');
    expect(match('CustomerAdmin')).toBe('.*admin.*');
    expect(match('OrganizationAccountAccessRole')).toBe('OrganizationAccountAccessRole');
  });

  it('takes exceptions as whole-name patterns, from a JSON list or one plain pattern', () => {
    // Given a per-customer naming scheme as an exception, in the forms `cdk -c` passes
    const list = loadConfig({ ...MINIMAL, pivotRoleNameExceptions: '["[a-z]+-AdminReadOnly", "AuditAdmin"]' }).pivotRoleNamePattern;
    const one = resolveConfig({ ...MINIMAL, pivotRoleNameExceptions: 'AuditAdmin' }).pivotRoleNameExceptions;
    // Then names of that scheme are exempt, and names that only contain it are not
    expect(list('acme-AdminReadOnly')).toBeNull();
    expect(list('auditadmin')).toBeNull();
    expect(list('acme-AdminReadOnly-x')).toBe('.*admin.*');
    expect(one).toEqual(['AuditAdmin']);
  });

  it('reads a JSON list without splitting patterns at their commas, one plain pattern, and an empty string as no patterns', () => {
    // Given the forms `cdk -c pivotRoleNamePatterns=…` passes
    const list = resolveConfig({ ...MINIMAL, pivotRoleNamePatterns: '["[a-z]{2,8}-admin", "AWSControlTowerExecution"]' }).pivotRoleNamePatterns;
    const one = resolveConfig({ ...MINIMAL, pivotRoleNamePatterns: '.*admin.*' }).pivotRoleNamePatterns;
    const none = resolveConfig({ ...MINIMAL, pivotRoleNamePatterns: '' }).pivotRoleNamePatterns;
    // Then each is the list it means
    expect(list).toEqual(['[a-z]{2,8}-admin', 'AWSControlTowerExecution']);
    expect(one).toEqual(['.*admin.*']);
    expect(none).toEqual([]);
  });

  it('matches the default patterns against near misses of 64 characters and of 64 KiB, finding nothing', () => {
    // Given the default patterns (`.*admin.*` backtracks polynomially in JavaScript's engine)
    const match = loadConfig(MINIMAL).pivotRoleNamePattern;
    // When near misses of IAM's maximum length and far beyond it are matched (jest's timeout is the guard)
    const matched = [`${'a'.repeat(63)}!`, `${'adm'.repeat(21)}!`, 'a'.repeat(65_536), `${'adm'.repeat(21_845)}!`].map(match);
    // Then none matches
    expect(matched).toEqual([null, null, null, null]);
  });
});

describe('every invalid form of every key', () => {
  /** Invalid values by kind of key; a key of a kind missing here fails the test below. */
  const INVALID_BY_KIND: Record<string, readonly unknown[]> = {
    arnList: [42, true, {}, [7], [null], ['role/outbound'], ['arn:aws:iam::12:role/x'], ['arn:aws:iam::210987654321:role/has space'], 'not-an-arn', '[7]', '{"a": 1}'],
    policyArnList: [42, true, {}, [7], [null], ['ReadOnlyAccess'], ['arn:aws:iam::12:policy/x'], ['arn:aws:iam::aws:policy/has space'], ['arn:aws:s3:::vendor-bucket'], ['arn:aws:iam:eu-west-1:aws:policy/x'], 'not-an-arn', '[7]', '{"a": 1}'],
    objectSource: [5, true, {}, ['s3://b/k'], 's3://', 's3://bucket', 's3://Bad_Bucket/key', 's3://b/key', 'reg\u0000istry.jsonl'],
    cidrs: [5, true, null, ['203.0.113.7'], ['10.0.0.0/33'], [7], { nat: 5 }, { nat: ['x'] }, { nat: [null] }, '10.0.0.0/33', '{"nat": [1]}', '["2001:db8::/129"]'],
    regex: [5, true, {}, [], '(unclosed', '[z-a]', '(?=a)a', '(a)\\1', 'a++'],
    regexList: [5, true, null, {}, [5], [null], [''], ['(unclosed'], ['[z-a]'], ['(?!a).*'], ['(a)\\1'], ['admin', '(?<=a)b'], '(unclosed', '["(?=a)a"]', '{"a": 1}', 'a,b'],
    int: [1.5, 'soon', null, true, [], {}, '', '  ', NaN, Infinity, -Infinity, '1e400'],
    number: ['soon', null, true, [], {}, '', NaN, Infinity, '-Infinity'],
    boolean: ['yes', 'TRUE', 1, 0, null, [], {}, ''],
    severity: ['urgent', 'HIGH', 'info', 1, null, '', ['high']],
    detectors: [
      5, true, null, [], 'off', '[]', { 'sorce-ip': {} }, { 'source-ip': 5 }, { 'source-ip': { enabld: false } }, { 'source-ip': { enabled: 'no' } },
      { 'source-ip': { minSeverity: 'urgent' } }, { 'source-ip': { exceptions: 5 } }, { 'source-ip': { exceptions: [5] } },
      { 'source-ip': { exceptions: [{ id: 'ci', principal: 'arn:aws:iam::210987654321:role/ci', reason: 'CI' }] } },
      { 'source-ip': { exceptions: [{ id: 'ci', reason: 'CI', expires: '2026-12-31' }] } },
      '{"source-ip": {"exceptions": [{"id": "ci", "sourceCidr": "10.0.0.1", "reason": "CI", "expires": "2026-12-31"}]}}',
    ],
    roleRegions: [5, true, ['eu-west-1'], 'eu-west-1', { outbound: 'eu-west-1' }, { 'arn:aws:iam::210987654321:role/outbound-eu': 'europe' }, { 'arn:aws:iam::210987654321:role/outbound-eu': [] }, { 'arn:aws:iam::210987654321:role/outbound-eu': [5] }, { 'arn:aws:iam::210987654321:role/outbound-eu': null }],
  };

  /** The invalid forms of one key: its kind's, its range's edges, and emptiness where required. */
  function invalidFormsOf(spec: (typeof CONFIG_KEYS)[number]): unknown[] {
    // A key that is off by default (null) takes null back: null and the empty string are valid there.
    const forms = (INVALID_BY_KIND[spec.kind] ?? []).filter((v) => spec.default !== null || (v !== null && v !== ''));
    if (spec.min !== undefined) forms.push(spec.kind === 'int' ? spec.min - 1 : spec.min - 0.01, String(spec.min - 1));
    if (spec.max !== undefined) forms.push(spec.max + 1, String(spec.max + 1), Number.MAX_VALUE);
    if (spec.required) forms.push([], '', ' , ');
    return forms;
  }

  it('knows invalid forms for every kind of key', () => {
    for (const spec of CONFIG_KEYS) expect(INVALID_BY_KIND[spec.kind]?.length ?? 0).toBeGreaterThan(0);
  });

  it.each(CONFIG_KEYS.map((spec) => [spec.name, spec] as const))('rejects each invalid form of %s, every problem naming the key', (name, spec) => {
    for (const value of invalidFormsOf(spec)) {
      // Given a valid configuration with this one key invalid
      const raw = name === 'monitoredRoleArns' ? { monitoredRoleArns: value } : { ...MINIMAL, [name]: value };
      // When resolved
      const problems = problemsOf(raw);
      // Then it is refused, and each problem starts with the key (or one of its elements)
      expect({ value, problems: problems.length > 0 }).toEqual({ value, problems: true });
      for (const problem of problems) expect({ value, problem }).toEqual({ value, problem: expect.stringMatching(new RegExp(`^${name}(\\[\\d+\\]|\\.|: )`)) });
    }
  });

  it('takes no key from a "__proto__" key, and names it as unknown', () => {
    // Given JSON whose only key is __proto__ holding the required key (JSON.parse makes it an own property)
    const raw = JSON.parse('{"__proto__": {"monitoredRoleArns": ["arn:aws:iam::210987654321:role/outbound-*"]}}') as Record<string, unknown>;
    // Then the required key is still missing, and __proto__ is an unknown key
    expect(problemsOf(raw).sort()).toEqual(['__proto__: unknown key', 'monitoredRoleArns: required, expected ARN pattern[]']);
  });

  it.each([
    ['allowedCidrs', '{"__proto__": ["10.0.0.0/8"]}'],
    ['allowedCidrs', '{"nat": ["52.48.10.7/32"], "__proto__": ["10.0.0.0/8"]}'],
    ['roleRegions', '{"__proto__": "eu-west-1"}'],
    ['roleRegions', '{"arn:aws:iam::210987654321:role/outbound-eu": "eu-west-1", "__proto__": ["eu-west-1"]}'],
  ])('refuses a "__proto__" key inside %s (%s), naming it, as a JSON object and as a `-c` string', (key, json) => {
    // Given the object as a config file holds it (JSON.parse makes "__proto__" an own property) and as `cdk -c` passes it
    for (const value of [JSON.parse(json) as unknown, json]) {
      // When resolved (what replay and `cdk synth` both run)
      const problems = problemsOf({ ...MINIMAL, [key]: value });
      // Then it is refused, naming the key inside the object, never dropped silently
      expect(problems).toEqual([`${key}.__proto__: "__proto__" cannot be a key here (JavaScript objects drop it); rename it`]);
    }
  });
});

describe('name patterns, matched in linear time (RE2)', () => {
  /**
   * Patterns JavaScript's backtracking engine takes seconds to years on (exponential: a repeated
   * group holding a quantifier, JavaScript's `[^]`; polynomial: `.*` eight times, `\d*` ten
   * times, the `sync-` scheme), each with a name of 64 characters (as long as STS allows) that
   * makes a backtracking engine work hardest, and whether the pattern matches it as RE2 reads it.
   * `[^](a+)+]` is JavaScript-only syntax: RE2 reads `[^](a+)+]` as one character class (any
   * character but `](a+`), so it matches one character, and never runs away.
   */
  const ADVERSARIAL: readonly (readonly [pattern: string, name: string, matches: boolean])[] = [
    ['[^](a+)+]', `${'a'.repeat(63)}!`, false],
    ['[^](a+)+]', 'b', true],
    ['.*'.repeat(8), `${'a'.repeat(63)}\n`, false],
    ['\\d*'.repeat(10), `${'1'.repeat(63)}x`, false],
    ['sync-.*-.*-.*-.*-.*-.*-\\d+', `sync-${'-'.repeat(58)}x`, false],
    ['sync-.*-.*-.*-.*-.*-.*-\\d+', 'sync-eu-acme-a-b-c-d-1730000000', true],
    ['(a+)+$', `${'a'.repeat(63)}!`, false],
    ['(a|aa)+', `${'a'.repeat(63)}!`, false],
    ['(.*a){20}', `${'a'.repeat(19)}${'-'.repeat(45)}`, false],
    ['([a-z]+)*', 'a'.repeat(64), true],
  ];

  it.each(ADVERSARIAL)('accepts %j as sessionNamePattern and matches a hostile name against it correctly', (pattern, name, matches) => {
    // Given a pattern that makes a backtracking engine run away on long names
    const raw = { ...MINIMAL, sessionNamePattern: pattern };
    // When it is configured and a hostile name is matched (jest's timeout is the only guard)
    const problems = problemsOf(raw);
    const matched = loadConfig(raw).sessionNameRegex!.test(name);
    // Then it is accepted, and the name matches exactly when RE2 says it does
    expect(problems).toEqual([]);
    expect(matched).toBe(matches);
  });

  it.each(ADVERSARIAL)('accepts %j in pivotRoleNamePatterns and matches a hostile role name against it correctly', (pattern, name, matches) => {
    // Given the pattern in pivotRoleNamePatterns (case-insensitive, memoized)
    const raw = { ...MINIMAL, pivotRoleNamePatterns: [pattern] };
    // When a hostile name is matched
    const problems = problemsOf(raw);
    const matched = loadConfig(raw).pivotRoleNamePattern(name);
    // Then it is accepted, and the name matches exactly when RE2 says it does
    expect(problems).toEqual([]);
    expect(matched).toBe(matches ? pattern : null);
  });

  it.each([
    ['(?!AdminReadOnlyIntegration$).*admin.*', 'a lookahead'],
    ['.*(?<!Integration)', 'a lookbehind'],
    ['(a)\\1', 'a backreference'],
    ['(?<n>a)\\k<n>', 'a named backreference'],
    ['(unclosed', 'an unclosed group'],
    ['[z-a]', 'a reversed range'],
    ['a{1001}', 'a repeat count over 1000'],
    ['a++', 'a possessive quantifier'],
  ])('refuses %j (%s), naming the key and RE2\'s syntax', (pattern) => {
    // When the pattern is configured in each key that takes one
    const single = problemsOf({ ...MINIMAL, sessionNamePattern: pattern });
    const list = problemsOf({ ...MINIMAL, pivotRoleNamePatterns: ['OrganizationAccountAccessRole', pattern] });
    const exceptions = problemsOf({ ...MINIMAL, pivotRoleNameExceptions: [pattern] });
    // Then each is one problem naming the key (and the element) and the expected form
    const form = /is not an RE2 regular expression \(.+\); expected RE2 syntax: no lookaround, no backreferences/;
    expect(single).toEqual([expect.stringMatching(new RegExp(`^sessionNamePattern: ${escaped(JSON.stringify(pattern))} ${form.source}`))]);
    expect(list).toEqual([expect.stringMatching(new RegExp(`^pivotRoleNamePatterns\\[1\\]: ${escaped(JSON.stringify(pattern))} ${form.source}`))]);
    expect(exceptions).toEqual([expect.stringMatching(new RegExp(`^pivotRoleNameExceptions\\[0\\]: ${escaped(JSON.stringify(pattern))} ${form.source}`))]);
  });

  /** A string as a regular expression matching it literally. */
  function escaped(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }

  it('matches names of AWS\'s maximum length (64) and never a longer one, whatever the pattern', () => {
    // Given a pattern and names of 64 and 65 characters of RoleSessionName's alphabet [\w+=,.@-]
    const re = loadConfig({ ...MINIMAL, sessionNamePattern: 'ar-sync-[0-9]+' }).sessionNameRegex!;
    const any = loadConfig({ ...MINIMAL, sessionNamePattern: '(?s).*' }).sessionNameRegex!;
    const longest = `ar-sync-${'7'.repeat(56)}`;
    // Then the 64-character name matches and one more character does not (STS would have refused it)
    expect(longest).toHaveLength(64);
    expect(re.test(longest)).toBe(true);
    expect(re.test(`${longest}7`)).toBe(false);
    expect(any.test('x'.repeat(65_536))).toBe(false);
  });

  it('matches the whole name, and `.` no line break (as JavaScript did)', () => {
    // Given a pattern that a name's part or a line of it would match
    const re = loadConfig({ ...MINIMAL, sessionNamePattern: 'sync-[0-9]+' }).sessionNameRegex!;
    // Then only a whole name of one line matches
    expect(re.test('sync-1730000000')).toBe(true);
    expect(re.test('x-sync-1730000000')).toBe(false);
    expect(re.test('sync-1730000000-x')).toBe(false);
    expect(re.test('sync-1730000000\nx')).toBe(false);
  });
});

describe('ARN patterns (`*` and `?`), matched in linear time', () => {
  it('matches a pattern with many stars against a 2048-character ARN that almost matches', () => {
    // Given ARN patterns a backtracking `.*` translation takes seconds on (cubic in the ARN)
    const config = loadConfig({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/*-*-*-outbound'], expectedCallerArns: ['arn:aws:sts::*:assumed-role/*/*'] });
    const roleArn = `arn:aws:iam::210987654321:role/${'-'.repeat(2016)}x`;
    const callerArn = `arn:aws:sts::${':assumed-role/'.repeat(145)}\n`;
    // When matched (a role ARN of up to 2048 characters is what STS takes, and logs when it refuses the call)
    // Then each is told apart correctly
    expect(roleArn).toHaveLength(2048);
    expect(config.isMonitoredRole(roleArn)).toBe(false);
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/eu-acme-v2-outbound')).toBe(true);
    expect(config.isExpectedCaller([callerArn])).toBe(true);
    expect(config.isExpectedCaller(['arn:aws:iam::210987654321:user/alice'])).toBe(false);
  });

  it('agrees with the regular-expression reading of `*` and `?` on random patterns and texts', () => {
    // Given patterns and texts over a small alphabet (so that they often almost match)
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ':', '/', '\n'), maxLength: 12 });
    const pattern = fc.string({ unit: fc.constantFrom('a', 'b', ':', '/', '*', '?'), minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        // When matched as a monitored role pattern
        const matched = loadConfig({ monitoredRoleArns: [`arn:aws:iam::210987654321:role/${p}`] }).isMonitoredRole(`arn:aws:iam::210987654321:role/${t}`);
        // Then it matches exactly when `*` as [\s\S]* and `?` as [\s\S] would
        const reading = new RegExp(`^${p.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')}$`);
        return matched === reading.test(t);
      }),
      { numRuns: 2_000, seed: 16 },
    );
  });

  it('matches `*` across any characters and `?` one character, the rest literally', () => {
    // Given patterns with both wildcards and characters regular expressions treat specially
    const config = loadConfig({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/out.bound-?', 'arn:aws:iam::210987654321:role/(x)+*'] });
    // Then each matches what it says and nothing more
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/out.bound-1')).toBe(true);
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/outXbound-1')).toBe(false);
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/out.bound-12')).toBe(false);
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/(x)+anything\nelse')).toBe(true);
    expect(config.isMonitoredRole('arn:aws:iam::210987654321:role/xx')).toBe(false);
  });
});

describe('detectors (per-detector settings and exceptions)', () => {
  const CI = 'arn:aws:iam::210987654321:role/ci-*';
  /** A valid exception with `extra` over it. */
  const exception = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 'ci-runners', principal: CI, reason: 'CI runners', expires: '2026-12-31', ...extra });
  const withException = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...MINIMAL, detectors: { 'source-ip': { exceptions: [exception(extra)] } } });

  it.each([
    ['an unknown detector id', { ...MINIMAL, detectors: { 'sorce-ip': { enabled: false } } }, 'detectors.sorce-ip: unknown detector (did you mean "source-ip"?); expected one of human-principal, unexpected-caller, source-ip,'],
    ['an entry that is not an object', { ...MINIMAL, detectors: { 'source-ip': false } }, 'detectors.source-ip: false is not an object; expected {"enabled"?: boolean'],
    ['an unknown field of an entry', { ...MINIMAL, detectors: { 'source-ip': { enable: false } } }, 'detectors.source-ip.enable: unknown field (did you mean "enabled"?); expected enabled, minSeverity, exceptions'],
    ['enabled as text', { ...MINIMAL, detectors: { 'source-ip': { enabled: 'false' } } }, 'detectors.source-ip.enabled: "false" is not true or false; expected boolean'],
    ['an unknown severity', { ...MINIMAL, detectors: { 'source-ip': { minSeverity: 'urgent' } } }, 'detectors.source-ip.minSeverity: "urgent" is not a severity; expected low|medium|high|critical'],
    ['exceptions that are not a list', { ...MINIMAL, detectors: { 'source-ip': { exceptions: {} } } }, 'detectors.source-ip.exceptions: {} is not a list; expected a list of exceptions'],
    ['an exception that is not an object', { ...MINIMAL, detectors: { 'source-ip': { exceptions: ['ci'] } } }, 'detectors.source-ip.exceptions[0]: "ci" is not an object; expected {"id", "reason", "expires" and at least one of "principal"'],
    ['an unknown field of an exception', withException({ principle: CI }), 'detectors.source-ip.exceptions[0].principle: unknown field (did you mean "principal"?); expected id, principal, sourceCidr, sessionNamePattern, targetAccount, reason, expires'],
    ['an exception without an id', withException({ id: undefined }), 'detectors.source-ip.exceptions[0].id: required; expected a name for the exception, unique within the detector'],
    ['an exception with an empty id', withException({ id: ' ' }), 'detectors.source-ip.exceptions[0].id: " " is not text; expected a name for the exception'],
    ['an exception id with a line break', withException({ id: 'ci\nrunners' }), 'detectors.source-ip.exceptions[0].id: "ci\\nrunners" is not a name; expected at most 64 printable ASCII characters'],
    ['an exception without a reason', withException({ reason: undefined }), 'detectors.source-ip.exceptions[0].reason: required; expected why this traffic is accepted'],
    ['an exception without expires', withException({ expires: undefined }), 'detectors.source-ip.exceptions[0].expires: required (an exception without an end silences its findings for good); expected an ISO-8601 date YYYY-MM-DD (that day 00:00 UTC) or date-time'],
    ['expires on a day that does not exist', withException({ expires: '2026-02-30' }), 'detectors.source-ip.exceptions[0].expires: "2026-02-30" is not a date or date-time; expected an ISO-8601 date YYYY-MM-DD'],
    ['expires without a zone', withException({ expires: '2026-12-31T18:00:00' }), 'detectors.source-ip.exceptions[0].expires: "2026-12-31T18:00:00" is not a date or date-time; expected'],
    ['expires in another notation', withException({ expires: '31/12/2026' }), 'detectors.source-ip.exceptions[0].expires: "31/12/2026" is not a date or date-time'],
    ['expires as a number', withException({ expires: 1798675200000 }), 'detectors.source-ip.exceptions[0].expires: 1798675200000 is not a date or date-time'],
    ['an exception without a matcher', withException({ principal: undefined }), 'detectors.source-ip.exceptions[0]: no matcher; expected at least one of principal, sourceCidr, sessionNamePattern, targetAccount'],
    ['a principal that is not an ARN pattern', withException({ principal: 'role/ci-*' }), 'detectors.source-ip.exceptions[0].principal: "role/ci-*" is not an ARN pattern; expected an ARN pattern (arn:aws:iam::123456789012:role/name, * allowed)'],
    ['a source address without a prefix length', withException({ sourceCidr: '198.51.100.7' }), 'detectors.source-ip.exceptions[0].sourceCidr: "198.51.100.7" is not a CIDR; expected a CIDR like 203.0.113.0/24 or 2001:db8::/48'],
    ['an IPv6 block too long', withException({ sourceCidr: '2001:db8::/129' }), 'detectors.source-ip.exceptions[0].sourceCidr: "2001:db8::/129" is not a CIDR'],
    ['a session name pattern RE2 refuses', withException({ sessionNamePattern: '(?!ci).*' }), 'detectors.source-ip.exceptions[0].sessionNamePattern: "(?!ci).*" is not an RE2 regular expression'],
    ['an empty session name pattern', withException({ sessionNamePattern: '' }), 'detectors.source-ip.exceptions[0].sessionNamePattern: "" is empty; expected an RE2 regular expression'],
    ['a target account of 11 digits', withException({ targetAccount: '11112222333' }), 'detectors.source-ip.exceptions[0].targetAccount: "11112222333" is not an account ID; expected a 12-digit account ID'],
    ['a target account as a number', withException({ targetAccount: 111122223333 }), 'detectors.source-ip.exceptions[0].targetAccount: 111122223333 is not text; expected a 12-digit account ID, as a string'],
  ])('refuses %s, naming its path and the expected form', (_what, raw, message) => {
    // When the configuration is resolved
    const problems = problemsOf(raw);
    // Then there is one problem, naming the path and what was expected
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('refuses two exceptions of one detector with the same id, naming the second', () => {
    const problems = problemsOf({ ...MINIMAL, detectors: { 'source-ip': { exceptions: [exception(), exception({ principal: 'arn:aws:iam::210987654321:role/deploy' })] } } });
    expect(problems).toEqual(['detectors.source-ip.exceptions[1].id: "ci-runners" is also the id of exceptions[0]; expected ids unique within the detector']);
  });

  it('takes the same exception id in two detectors', () => {
    const config = resolveConfig({ ...MINIMAL, detectors: { 'source-ip': { exceptions: [exception()] }, 'session-locations': { exceptions: [exception()] } } });
    expect(Object.keys(config.detectors)).toEqual(['source-ip', 'session-locations']);
  });

  it('reports every problem of several exceptions at once', () => {
    // Given two broken exceptions in two detectors
    const problems = problemsOf({
      ...MINIMAL,
      detectors: { 'source-ip': { exceptions: [exception({ expires: undefined, reason: undefined })] }, region: { exceptions: [exception(), exception({ id: 'x', sourceCidr: 'x' })] } },
    });
    // Then all three are named, each by its path
    expect(problems.map((p) => p.slice(0, p.indexOf(':')))).toEqual([
      'detectors.source-ip.exceptions[0].reason',
      'detectors.source-ip.exceptions[0].expires',
      'detectors.region.exceptions[1].sourceCidr',
    ]);
  });

  it('refuses a "__proto__" detector id and a "__proto__" field, naming them', () => {
    const problems = problemsOf({ ...MINIMAL, detectors: JSON.parse('{"__proto__": {}, "region": {"__proto__": {"enabled": false}}}') as unknown });
    expect(problems).toEqual([
      expect.stringMatching(/^detectors\.__proto__: unknown detector; expected one of /),
      'detectors.region.__proto__: unknown field; expected enabled, minSeverity, exceptions',
    ]);
  });

  it('fills each entry\'s defaults and keeps only the matchers given, as the Lambda\'s environment carries them', () => {
    // Given a detector turned off, one with a floor, and one with an exception of two matchers
    const config = resolveConfig({
      ...MINIMAL,
      detectors: { client: { enabled: false }, 'session-name': { minSeverity: 'high' }, 'source-ip': { exceptions: [exception({ sourceCidr: '2001:db8:1::/48' })] } },
    });
    // Then the resolved key has every default, and resolving it again gives the same
    expect(config.detectors).toEqual({
      client: { enabled: false, minSeverity: null, exceptions: [] },
      'session-name': { enabled: true, minSeverity: 'high', exceptions: [] },
      'source-ip': { enabled: true, minSeverity: null, exceptions: [{ id: 'ci-runners', principal: CI, sourceCidr: '2001:db8:1::/48', reason: 'CI runners', expires: '2026-12-31' }] },
    });
    expect(resolveConfig(JSON.parse(JSON.stringify(config)) as Record<string, unknown>)).toEqual(config);
  });

  it('takes the key as JSON text, as `cdk -c detectors=...` passes it', () => {
    const config = resolveConfig({ ...MINIMAL, detectors: '{"region": {"enabled": false}}' });
    expect(config.detectors).toEqual({ region: { enabled: false, minSeverity: null, exceptions: [] } });
  });

  it.each([
    ['2026-12-31', '2026-12-31T00:00:00.000Z'],
    ['2026-12-31T18:30Z', '2026-12-31T18:30:00.000Z'],
    ['2026-12-31T18:30:15Z', '2026-12-31T18:30:15.000Z'],
    ['2026-12-31T18:30:15.250Z', '2026-12-31T18:30:15.250Z'],
    ['2026-12-31T18:30:00+01:00', '2026-12-31T17:30:00.000Z'],
    ['2026-12-31T23:30:00-05:30', '2027-01-01T05:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
  ])('reads expires %s as %s', (expires, instant) => {
    // Given an exception expiring then; when compiled
    const config = loadConfig(withException({ expires }));
    // Then it expires at that instant (a date: that day 00:00 UTC)
    expect(new Date(config.detectorExceptions[0]!.expiresAt).toISOString()).toBe(instant);
  });

  it('compiles each detector\'s settings, its own floor or minAlertSeverity, and the defaults for a detector not mentioned', () => {
    const config = loadConfig({ ...MINIMAL, minAlertSeverity: 'medium', detectors: { client: { enabled: false }, 'session-name': { minSeverity: 'high' }, 'source-ip': { exceptions: [exception()] } } });
    expect(config.detectorSettings('client')).toMatchObject({ enabled: false, minSeverity: 'medium' });
    expect(config.detectorSettings('session-name')).toMatchObject({ enabled: true, minSeverity: 'high', exceptions: [] });
    expect(config.detectorSettings('region')).toEqual({ enabled: true, minSeverity: 'medium', exceptions: [] });
    expect(config.detectorSettings('source-ip').exceptions.map((e) => e.key)).toEqual(['source-ip/ci-runners']);
    expect(config.detectorExceptions.map((e) => e.key)).toEqual(['source-ip/ci-runners']);
  });
});
