/**
 * The scenario's constants: the one place the generated records and `config.json` take their
 * values from.
 *
 * ECS tasks of `integration-backend` assume a regional outbound role (`outbound-eu` through the
 * eu-west-1 STS endpoint, `outbound-us` through us-east-1) from the region's NAT Elastic IPs;
 * those outbound sessions assume every customer's `VendorIntegrationRole` of the region once an
 * hour (plus a daily full scan at 02:00 UTC) with the customer's external ID. Around that: AWS
 * service noise, `AWS Internal` calls, an administrator's console-less CLI work, one offboarded
 * customer whose role is gone. After the learning period, on the incident day, ten labelled
 * incidents, each meant to trip exactly one detector.
 */

/** The regions the scenario uses. */
export type Region = 'eu-west-1' | 'us-east-1';
/** {@link Region} values, in output order. */
export const REGIONS: readonly Region[] = ['eu-west-1', 'us-east-1'];

/** The vendor's bastion account: where the outbound roles live and the trail is written. */
export const ACCOUNT = '210987654321';

/** An IAM ARN in the bastion account (`iamArn('role', 'outbound-eu')`). */
export const iamArn = (kind: 'role' | 'user', name: string): string => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;

/**
 * The bastion account's fixed cast: roles, addresses and the engine settings written to
 * `config.json`. The NAT addresses are real EC2 addresses of their region (inside EC2 prefixes
 * of the bundled `data/aws-ip-ranges.json`), so they classify as AWS.
 */
export const SCENARIO = {
  account: ACCOUNT,
  outboundRoleArns: {
    'eu-west-1': iamArn('role', 'outbound-eu'),
    'us-east-1': iamArn('role', 'outbound-us'),
  } as Readonly<Record<Region, string>>,
  monitoredRolePattern: iamArn('role', 'outbound-*'),
  backendRoleArn: iamArn('role', 'integration-backend'),
  breakGlassRoleArn: iamArn('role', 'break-glass-admin'),
  natGroups: {
    'eu-west-1': { name: 'nat-eu', eips: ['54.247.81.112', '18.200.143.27'] },
    'us-east-1': { name: 'nat-us', eips: ['54.221.176.58', '35.153.92.204'] },
  } as Readonly<Record<Region, { readonly name: string; readonly eips: readonly [string, string] }>>,
  customerRoleName: 'VendorIntegrationRole',
  officeIpv4: '198.51.100.23',
  officeIpv6: '2001:db8:4f1c:2a00::23',
  /** Not AWS, not allowed (a Tor exit): the stolen backend credentials are used from here. */
  attackerIp: '185.220.101.47',
  /** Where a stolen outbound session key is replayed from. */
  foreignIp: '203.0.113.50',
  learningPeriodDays: 2,
  engine: {
    sessionNamePattern: null as string | null,
    volumeWindowMinutes: 60,
    volumeSpikeFactor: 3,
    requireExternalId: true,
    suppressionMinutes: 60,
    minAlertSeverity: 'medium',
  },
} as const;

/** The engine configuration matching the generated traffic (written as `config.json`). */
export function scenarioConfig(): Record<string, unknown> {
  const allowedCidrs: Record<string, string[]> = {};
  for (const region of REGIONS) {
    const group = SCENARIO.natGroups[region];
    allowedCidrs[group.name] = group.eips.map((ip) => `${ip}/32`);
  }
  const roleRegions: Record<string, string> = {};
  for (const region of REGIONS) roleRegions[SCENARIO.outboundRoleArns[region]] = region;
  // Key order is config.json's order, which the README and tests read.
  return {
    monitoredRoleArns: [SCENARIO.monitoredRolePattern],
    expectedCallerArns: [SCENARIO.backendRoleArn],
    humanRoleArnPatterns: [SCENARIO.breakGlassRoleArn],
    allowedCidrs,
    sessionNamePattern: SCENARIO.engine.sessionNamePattern,
    volumeWindowMinutes: SCENARIO.engine.volumeWindowMinutes,
    volumeSpikeFactor: SCENARIO.engine.volumeSpikeFactor,
    learningPeriodDays: SCENARIO.learningPeriodDays,
    requireExternalId: SCENARIO.engine.requireExternalId,
    roleRegions,
    suppressionMinutes: SCENARIO.engine.suppressionMinutes,
    minAlertSeverity: SCENARIO.engine.minAlertSeverity,
  };
}
