/**
 * What a call's user agent and TLS host header say of the client that made it: its SDK family
 * (never a version) and the kind of STS endpoint it dialled.
 */
import { memoize } from './memo';
import { shapeOf } from './names';

/** Characters an unknown tool's name keeps as its family. */
const MAX_FAMILY_CHARS = 40;

/**
 * SDK families by the product token CloudTrail's user agents carry, tried in order: the CLI
 * before Boto3 (CLI v1 names botocore too), each SDK by language whatever its major version
 * (`aws-sdk-go` and `aws-sdk-go-v2`, JS v2's `aws-sdk-nodejs` and v3's `aws-sdk-js`, .NET's
 * `-coreclr`/`-45`, Ruby's `ruby2`/`ruby3`) so that upgrades stay quiet.
 */
const KNOWN: readonly (readonly [RegExp, string])[] = [
  [/(?:^|[\s(])aws-cli\//i, 'aws-cli'],
  [/(?:^|[\s(])AWSPowerShell/i, 'aws-powershell'],
  [/(?:^|[\s(])(?:Boto3|Botocore)\//i, 'boto3'],
  [/(?:^|[\s(])aws-sdk-(?:js|nodejs)\//i, 'aws-sdk-js'],
  [/(?:^|[\s(])aws-sdk-go(?:-v2)?\//i, 'aws-sdk-go'],
  [/(?:^|[\s(])aws-sdk-java\//i, 'aws-sdk-java'],
  [/(?:^|[\s(])aws-sdk-dotnet/i, 'aws-sdk-dotnet'],
  [/(?:^|[\s(])aws-sdk-ruby\d*\//i, 'aws-sdk-ruby'],
  [/(?:^|[\s(])aws-sdk-php\//i, 'aws-sdk-php'],
  [/(?:^|[\s(])aws-sdk-(rust|cpp|kotlin|swift)\//i, ''],
  [/^(?:console|signin)(?:\.[a-z0-9-]+)*\.amazonaws\.com$|^aws-internal\/\d.*console/i, 'console'],
  [/^Mozilla\//, 'browser'],
];

/**
 * The SDK family of a user agent: a known SDK's or tool's name, else the first token's name
 * with numbers folded (`curl`, `python-requests`, `stratus-red-team_{uuid}`), `none` when empty.
 * Never a version: an SDK upgrade is not a new client. CloudTrail brackets S3's user agents.
 */
function familyOf(userAgent: string): string {
  const agent = userAgent.startsWith('[') && userAgent.endsWith(']') ? userAgent.slice(1, -1) : userAgent;
  for (const [pattern, family] of KNOWN) {
    const match = pattern.exec(agent);
    if (match) return family || `aws-sdk-${match[1]!.toLowerCase()}`;
  }
  const token = agent.trim().split(/[\s/]/, 1)[0] ?? '';
  if (token === '') return 'none';
  return shapeOf(token).slice(0, MAX_FAMILY_CHARS);
}

/** {@link familyOf}, each distinct user agent read once (a backend sends the same few). */
export const clientFamily: (userAgent: string) => string = memoize(familyOf);

/**
 * The kind of STS endpoint a host header names: `global` (`sts.amazonaws.com`), `regional`
 * (`sts.<region>.amazonaws.com`, FIPS `sts-fips.…`, dual-stack `sts.<region>.api.aws`), `vpce`
 * (a VPC endpoint's own name, `vpce-….sts.<region>.vpce.amazonaws.com`; with private DNS the
 * regional name is dialled), else `other`. Null when the record logged no host.
 */
export function stsEndpointKind(host: string | null): string | null {
  if (host === null) return null;
  const name = host.replace(/:\d+$/, '').replace(/\.$/, '');
  if (name === 'sts.amazonaws.com') return 'global';
  if (/^vpce-[a-z0-9-]+\.sts(?:-fips)?\.[a-z0-9-]+\.vpce\.amazonaws\.com(?:\.cn)?$/.test(name)) return 'vpce';
  if (/^sts(?:-fips)?\.[a-z]{2}(?:-[a-z]+)+-\d\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$/.test(name)) return 'regional';
  return 'other';
}
