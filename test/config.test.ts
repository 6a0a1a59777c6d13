import { CONFIG_KEYS, ConfigError, loadConfig, resolveConfig } from '../lambdas/engine/config';
import { parseIp } from '../lambdas/engine/ip';
import { regexSafetyProblem } from '../lambdas/engine/regex-safety';

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

describe('regex safety', () => {
  it.each(['(a+)+$', '(.*a){20}', '(a|aa)+', '(\\w+\\s?)*', '((ab)*)+', '(x+x+)+y', '(a)\\1', '(?<n>a)\\k<n>'])('refuses %s', (re) => {
    expect(regexSafetyProblem(re)).not.toBeNull();
  });

  it.each(['^sync-[0-9]{12}-[a-z]+$', 'backend-[0-9a-f]{8}', '(sync|scan)-\\d+', 'a+b*c?', '(prod|stage)?-[a-z]+', '[(+*]+'])('accepts %s', (re) => {
    expect(regexSafetyProblem(re)).toBeNull();
  });
});
