/**
 * The scenario's constants: the one place the generated records and `config.json` take their
 * values from.
 *
 * ECS tasks of `integration-backend` assume a regional outbound role (`outbound-eu` through the
 * eu-west-1 STS endpoint, `outbound-us` through us-east-1) from the region's NAT Elastic IPs;
 * those outbound sessions assume every customer's `VendorIntegrationRole` of the region once an
 * hour (plus a daily full scan at 02:00 UTC) with the customer's external ID. Around that: AWS
 * service noise, `AWS Internal` calls, an administrator's console-less CLI work, SSO admins and
 * CI deploys, and the life of a vendor (calendar.ts): customers onboarded, offboarded and
 * re-installed, a deploy that renames the task role and moves a NAT address, a regional
 * failover, dual-stack tasks. After the learning period, on the incident day, sixteen labelled
 * incidents, each meant to trip exactly one detector (one only with the customer registry).
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
  /** The backend's task role after the deploy that renamed it (the old one stays for a rollback). */
  backendV2RoleArn: iamArn('role', 'integration-backend-v2'),
  breakGlassRoleArn: iamArn('role', 'break-glass-admin'),
  /**
   * Each region's NAT gateways (one Elastic IP each, one per backend task) and, where the VPC is
   * dual-stack, its Amazon-provided IPv6 block (tasks keep their own IPv6 address on the way out).
   */
  natGroups: {
    'eu-west-1': { name: 'nat-eu', eips: ['54.247.81.112', '18.200.143.27'], ipv6: null },
    'us-east-1': { name: 'nat-us', eips: ['54.221.176.58', '35.153.92.204'], ipv6: '2600:1f18:6f2:8c00::/56' },
  } as Readonly<Record<Region, { readonly name: string; readonly eips: readonly [string, string]; readonly ipv6: string | null }>>,
  /** The deploy replaces nat-us's first gateway: its traffic leaves from this EIP from then on (allow-listed first). */
  movedNat: { region: 'us-east-1' as Region, gateway: 0, eip: '3.214.87.140' },
  customerRoleName: 'VendorIntegrationRole',
  officeIpv4: '198.51.100.23',
  officeIpv6: '2001:db8:4f1c:2a00::23',
  /** Not AWS, not allowed (a Tor exit): the stolen backend credentials are used from here. */
  attackerIp: '185.220.101.47',
  /** Where a stolen outbound session key is replayed from. */
  foreignIp: '203.0.113.50',
  /** Not AWS, not allowed: an outbound session whose creation these logs never saw is used from here. */
  outsiderIp: '45.146.165.37',
  /** GitHub-hosted runners' addresses (Azure), where the CI deploys come from. */
  ciRunnerIps: ['20.57.32.15', '4.175.114.51', '52.234.40.19'],
  /** The vendor's GitHub repository, as the OIDC token's subject names it. */
  ciRepository: 'vendor/integration-platform',
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

/**
 * The engine configuration matching the generated traffic (written as `config.json`, naming the
 * registry export written beside it). Without `customerRegistry` the registry checks are
 * learned instead: the Lambda takes an `s3://` object there, never a local path.
 */
export function scenarioConfig(options: { readonly customerRegistry?: string } = {}): Record<string, unknown> {
  const allowedCidrs: Record<string, string[]> = {};
  for (const region of REGIONS) {
    const group = SCENARIO.natGroups[region];
    const moved = SCENARIO.movedNat.region === region ? [SCENARIO.movedNat.eip] : [];
    allowedCidrs[group.name] = [...group.eips, ...moved].map((ip) => `${ip}/32`).concat(group.ipv6 ? [group.ipv6] : []);
  }
  const roleRegions: Record<string, string> = {};
  for (const region of REGIONS) roleRegions[SCENARIO.outboundRoleArns[region]] = region;
  // Key order is config.json's order, which the README and tests read.
  return {
    monitoredRoleArns: [SCENARIO.monitoredRolePattern],
    expectedCallerArns: [SCENARIO.backendRoleArn, SCENARIO.backendV2RoleArn],
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
    ...(options.customerRegistry !== undefined ? { customerRegistry: options.customerRegistry } : {}),
  };
}

/** The customer registry export's file name, beside `config.json` (which names it relative to itself). */
export const REGISTRY_FILE = 'customer-registry.jsonl';
