import { CONFIG_KEYS, ConfigError, loadConfig, resolveConfig } from '../lambdas/core/config';
import { parseIp } from '../lambdas/core/ip';
import { regexSafetyProblem } from '../lambdas/core/regex-safety';

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
    ['sessionNamePattern', '(unclosed', 'sessionNamePattern: "(unclosed" is not a valid regular expression'],
    ['sessionNamePattern', '(a+)+$', 'sessionNamePattern: "(a+)+$" is refused: a repeated group'],
    ['sessionNamePattern', '(.*a){20}', 'sessionNamePattern: "(.*a){20}" is refused: a repeated group'],
    ['pivotRoleNamePatterns', ['(unclosed'], 'pivotRoleNamePatterns[0]: "(unclosed" is not a valid regular expression'],
    ['pivotRoleNamePatterns', ['.*admin.*', '(a+)+$'], 'pivotRoleNamePatterns[1]: "(a+)+$" is refused: a repeated group'],
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

  it('lets the vendor exempt its own Admin-named role by replacing the list', () => {
    // Given a list whose admin pattern leaves out the vendor's own integration role
    const match = loadConfig({ ...MINIMAL, pivotRoleNamePatterns: ['OrganizationAccountAccessRole', '(?!AdminReadOnlyIntegration$).*admin.*'] }).pivotRoleNamePattern;
    // Then that role no longer matches, and other admin names still do
    expect(match('AdminReadOnlyIntegration')).toBeNull();
    expect(match('CustomerAdmin')).toBe('(?!AdminReadOnlyIntegration$).*admin.*');
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

  it('matches the default patterns against near misses of 64 characters and of 64 KiB in bounded time', () => {
    // Given the default patterns (`.*admin.*` is polynomial on long names)
    const match = loadConfig(MINIMAL).pivotRoleNamePattern;
    for (const name of [`${'a'.repeat(63)}!`, `${'adm'.repeat(21)}!`, 'a'.repeat(65_536), `${'adm'.repeat(21_845)}!`]) {
      // When matched
      const start = process.hrtime.bigint();
      const matched = match(name);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      // Then each match takes well under 50 ms (a safety bound, not a benchmark) and finds nothing
      expect({ length: name.length, ms: ms < 50, matched }).toEqual({ length: name.length, ms: true, matched: null });
    }
  });
});

describe('regex safety', () => {
  it.each(['(a+)+$', '(.*a){20}', '(a|aa)+', '(\\w+\\s?)*', '((ab)*)+', '(x+x+)+y', '(a)\\1', '(?<n>a)\\k<n>'])('refuses %s', (re) => {
    expect(regexSafetyProblem(re)).not.toBeNull();
  });

  it.each(['^sync-[0-9]{12}-[a-z]+$', 'backend-[0-9a-f]{8}', '(sync|scan)-\\d+', 'a+b*c?', '(prod|stage)?-[a-z]+', '[(+*]+'])('accepts %s', (re) => {
    expect(regexSafetyProblem(re)).toBeNull();
  });
});

describe('every invalid form of every key', () => {
  /** Invalid values by kind of key; a key of a kind missing here fails the test below. */
  const INVALID_BY_KIND: Record<string, readonly unknown[]> = {
    arnList: [42, true, {}, [7], [null], ['role/outbound'], ['arn:aws:iam::12:role/x'], ['arn:aws:iam::210987654321:role/has space'], 'not-an-arn', '[7]', '{"a": 1}'],
    policyArnList: [42, true, {}, [7], [null], ['ReadOnlyAccess'], ['arn:aws:iam::12:policy/x'], ['arn:aws:iam::aws:policy/has space'], ['arn:aws:s3:::vendor-bucket'], ['arn:aws:iam:eu-west-1:aws:policy/x'], 'not-an-arn', '[7]', '{"a": 1}'],
    objectSource: [5, true, {}, ['s3://b/k'], 's3://', 's3://bucket', 's3://Bad_Bucket/key', 's3://b/key', 'reg\u0000istry.jsonl'],
    cidrs: [5, true, null, ['203.0.113.7'], ['10.0.0.0/33'], [7], { nat: 5 }, { nat: ['x'] }, { nat: [null] }, '10.0.0.0/33', '{"nat": [1]}', '["2001:db8::/129"]'],
    regex: [5, true, {}, [], '(unclosed', '[z-a]', '(a+)+$', '(a)\\1'],
    regexList: [5, true, null, {}, [5], [null], [''], ['(unclosed'], ['[z-a]'], ['(a+)+$'], ['(a)\\1'], ['admin', '(a|aa)+'], '(unclosed', '["(a+)+$"]', '{"a": 1}', 'a,b'],
    int: [1.5, 'soon', null, true, [], {}, '', '  ', NaN, Infinity, -Infinity, '1e400'],
    number: ['soon', null, true, [], {}, '', NaN, Infinity, '-Infinity'],
    boolean: ['yes', 'TRUE', 1, 0, null, [], {}, ''],
    severity: ['urgent', 'HIGH', 'info', 1, null, '', ['high']],
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
});

describe('sessionNamePattern and catastrophic backtracking', () => {
  it.each(['(a+)+$', '(.*a){20}', '(a|a)*b', '(a|aa)+$', '([a-z]+)*$', '(\\w+\\s?)*$'])('refuses %s, naming the key', (pattern) => {
    // When a pattern that backtracks exponentially is configured
    const problems = problemsOf({ ...MINIMAL, sessionNamePattern: pattern });
    // Then it is refused at synthesis (resolveConfig is what the CDK app runs), naming the key and why
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sessionNamePattern: ".*" is refused: .*catastrophic backtracking/);
  });

  /** Accepted patterns, the last three polynomial (quadratic) on long names. */
  const ACCEPTED = ['ar-sync-[0-9]+', '^sync-[0-9]{12}-[a-z]+$', 'backend-[0-9a-f]{8}', '(sync|scan)-\\d+', '[a-z]+(-[a-z0-9]+)?-[0-9]{10}', '[\\w+=,.@-]{2,64}', '.*\\d+', '[a-z]+[a-z0-9]*', '\\w+\\d+'];
  /** Names meant to make each pattern work hardest: long runs that almost match, then fail at the end. */
  const nearMisses = (length: number): string[] => [
    `${'a'.repeat(length - 1)}!`,
    `${'1'.repeat(length - 1)}x`,
    `${'a-'.repeat(length / 2 - 1)}a!`,
    `ar-sync-${'1'.repeat(length - 9)}x`,
    `${'a1'.repeat(length / 2 - 1)}-!`,
  ];

  /** Milliseconds one match takes. */
  function timed(re: RegExp, name: string): { ms: number; matched: boolean } {
    const start = process.hrtime.bigint();
    const matched = re.test(name);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, matched };
  }

  it.each(ACCEPTED)('accepts %s and matches it against names of AWS\'s maximum length (64) and of 64 KiB in bounded time', (pattern) => {
    // Given an accepted pattern
    expect(regexSafetyProblem(pattern)).toBeNull();
    const re = loadConfig({ ...MINIMAL, sessionNamePattern: pattern }).sessionNameRegex!;
    re.test('warm-up');
    // When matched against near misses of 64 characters and of 64 KiB (CloudTrail carries any string)
    for (const name of [...nearMisses(64), ...nearMisses(65_536)]) {
      const { ms, matched } = timed(re, name);
      // Then each match takes well under 50 ms (a safety bound, not a benchmark)
      expect({ pattern, length: name.length, ms: ms < 50 }).toEqual({ pattern, length: name.length, ms: true });
      if (name.length > 64) expect(matched).toBe(false);
    }
  });

  it('matches a valid name of exactly 64 characters, and refuses longer names than STS allows', () => {
    // Given a pattern and names of 64 and 65 characters of RoleSessionName's alphabet [\w+=,.@-]
    const re = loadConfig({ ...MINIMAL, sessionNamePattern: 'ar-sync-[0-9]+' }).sessionNameRegex!;
    const longest = `ar-sync-${'7'.repeat(56)}`;
    // Then the 64-character name matches and one more character does not (STS would have refused it)
    expect(longest).toHaveLength(64);
    expect(re.test(longest)).toBe(true);
    expect(re.test(`${longest}7`)).toBe(false);
  });
});
