/**
 * The construct's `detection` prop takes the detection keys as a user writes them (cdk.json's
 * context, a `replay --config` file) and checks them itself, naming every bad key as `cdk synth`
 * does; a configuration `resolveConfig` already returned (what the home stack passes) gives the
 * same function.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CONFIG_KEYS, ConfigError, resolveConfig } from '../lambdas/core/config';
import { ENVIRONMENT } from '../lambdas/detect/contract';
import { AssumeRoleWatch } from '../lib';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { cdkJsonContext, logicalId } from './support/infra';

/** The detection keys' names (the example context also holds deployment keys and feature flags). */
const DETECTION_KEYS = new Set<string>(CONFIG_KEYS.map((k) => k.name));

/** The construct alone in a stack, with `detection` as given; the function's DETECTION_CONFIG. */
function detectionOf(detection: Readonly<Record<string, unknown>>): unknown {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Vendor', { env: { account: '111122223333', region: 'eu-west-1' } });
  const watch = new AssumeRoleWatch(stack, 'Watch', { detection });
  const fn = Template.fromStack(stack).toJSON().Resources[logicalId(watch.function)] as { Properties: { Environment: { Variables: Record<string, string> } } };
  return JSON.parse(fn.Properties.Environment.Variables[ENVIRONMENT.config]!);
}

/** The problems a ConfigError lists, or none. */
function problemsOf(detection: Readonly<Record<string, unknown>>): readonly string[] {
  try {
    detectionOf(detection);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('the detection prop', () => {
  it('takes the keys as written, in their string forms too, and hands the function the resolved configuration', () => {
    // Given keys as a user writes them: a comma-separated list, a plain CIDR list, a region string
    const written = {
      monitoredRoleArns: 'arn:aws:iam::111122223333:role/outbound-eu,arn:aws:iam::111122223333:role/outbound-us',
      allowedCidrs: ['203.0.113.10/32'],
      roleRegions: { 'arn:aws:iam::111122223333:role/outbound-eu': 'eu-west-1' },
      volumeWindowMinutes: '30',
    };
    // When the construct is built with them, then the function gets them resolved, defaults filled
    expect(detectionOf(written)).toEqual(resolveConfig(written));
    expect(detectionOf(written)).toMatchObject({
      monitoredRoleArns: ['arn:aws:iam::111122223333:role/outbound-eu', 'arn:aws:iam::111122223333:role/outbound-us'],
      allowedCidrs: { allowed: ['203.0.113.10/32'] },
      roleRegions: { 'arn:aws:iam::111122223333:role/outbound-eu': ['eu-west-1'] },
      volumeWindowMinutes: 30,
      minAlertSeverity: 'medium',
    });
  });

  it.each([
    ['the cases\' base configuration', CASE_BASE_CONFIG],
    ['the example deployment\'s detection keys', Object.fromEntries(Object.entries(cdkJsonContext()).filter(([k]) => DETECTION_KEYS.has(k)))],
    ['per-detector settings with an exception', { ...CASE_BASE_CONFIG, maxSessionDurationSeconds: 3600, detectors: { region: { enabled: false }, 'source-ip': { minSeverity: 'high', exceptions: [{ id: 'lab', reason: 'test lab', expires: '2099-01-01', sourceCidr: '10.0.0.0/8' }] } } }],
  ])('takes a configuration resolveConfig already returned as it is (%s)', (_what, raw) => {
    // Given a resolved configuration, as the home stack passes it
    const resolved = resolveConfig(raw);
    // Then resolving it again changes nothing, and the function gets it unchanged
    expect(resolveConfig(resolved as unknown as Record<string, unknown>)).toEqual(resolved);
    expect(detectionOf(resolved as unknown as Record<string, unknown>)).toEqual(JSON.parse(JSON.stringify(resolved)));
  });

  it('refuses bad keys with a ConfigError naming each, as cdk synth does', () => {
    // When the keys hold a CIDR that is not one and a misspelt key
    const problems = problemsOf({ monitoredRoleArns: ['arn:aws:iam::111122223333:role/outbound-*'], allowedCidrs: { nat: ['203.0.113.10/33'] }, sessionNamePatern: 'x' });
    // Then both are named
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^allowedCidrs\.nat\[0\]: "203\.0\.113\.10\/33" is not a CIDR/),
      'sessionNamePatern: unknown key (did you mean "sessionNamePattern"?)',
    ]));
  });

  it('requires monitoredRoleArns', () => {
    // When the keys name no monitored role, then the construct says which key is missing
    expect(problemsOf({ expectedCallerArns: ['arn:aws:iam::111122223333:role/backend'] })).toEqual([expect.stringMatching(/^monitoredRoleArns: required/)]);
  });
});
