/**
 * The customer registry: the vendor's own list of its integrations, as its onboarding system
 * exports it. JSON Lines, one integration per line (the contract other tools write):
 *
 *   {"tenantId": "t-0042", "accountId": "123456789012",
 *    "roleArn": "arn:aws:iam::123456789012:role/AcmeIntegrationRole",
 *    "externalIdSha256": ["<64 hex>", "<the previous one during a rotation>"]}
 *
 * External IDs are never in it, only their SHA-256 digests (lowercase hex of the UTF-8 bytes
 * exactly as sent). Several lines may name one account (several tenants or roles). A line whose
 * role is not in its account is malformed; unknown fields are ignored. A malformed line is
 * reported with its number and the rest is used.
 */
import { createHash } from 'node:crypto';
import { memoize } from './memo';
import { roleArnParts } from './role-arn';

/** What the registry says about one AWS account. */
export interface RegisteredAccount {
  readonly accountId: string;
  /** The tenants that registered it, sorted (two or more: a confused deputy). */
  readonly tenants: readonly string[];
  /** Registered role names, lowercased (IAM role names are unique regardless of case; the path is no part of a role's identity). */
  readonly roleNames: ReadonlySet<string>;
  /** The role ARNs as registered, for messages. */
  readonly roleArns: readonly string[];
  /** SHA-256 digests (lowercase hex) of the external IDs the account may be assumed with. */
  readonly externalIdDigests: ReadonlySet<string>;
}

/** A loaded registry. */
export interface CustomerRegistry {
  /** The integrations, by account. */
  readonly accounts: ReadonlyMap<string, RegisteredAccount>;
  /** Lines used (integrations). */
  readonly integrations: number;
  /** Accounts registered by two or more tenants: reported at load and alerted on use. */
  readonly sharedAccounts: readonly RegisteredAccount[];
}

/** A line the registry could not use. */
export interface RegistryProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

/** The registry read from a text, and what was wrong with it. */
export interface ParsedRegistry {
  readonly registry: CustomerRegistry;
  readonly problems: readonly RegistryProblem[];
}

/** Problems listed in full; past this they are counted (a wrong file has a problem per line). */
const MAX_PROBLEMS = 50;
/** Characters of a bad value quoted in a problem. */
const QUOTE_CHARS = 80;

const ACCOUNT_ID = /^\d{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
}

/** The digest the registry holds for an external ID: lowercase hex SHA-256 of its UTF-8 bytes. */
export const externalIdSha256 = memoize((externalId: string): string => createHash('sha256').update(externalId, 'utf8').digest('hex'));

/** The lowercased name of a role ARN, as the registry compares them; null when it is not one. */
export function registeredRoleName(roleArn: string): string | null {
  return roleArnParts(roleArn)?.name.toLowerCase() ?? null;
}

interface Line {
  readonly tenantId: string;
  readonly accountId: string;
  readonly roleArn: string;
  readonly roleName: string;
  readonly digests: readonly string[];
}

/** One line's integration, or why it is malformed. */
function readLine(text: string): Line | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const o = value as Record<string, unknown>;
  const { tenantId, accountId, roleArn, externalIdSha256: digests } = o;
  if (typeof tenantId !== 'string' || tenantId.trim() === '') return `tenantId ${quote(tenantId)} is not a non-empty string`;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) return `accountId ${quote(accountId)} is not a 12-digit account ID (a JSON string)`;
  if (typeof roleArn !== 'string') return `roleArn ${quote(roleArn)} is not a role ARN (arn:aws:iam::123456789012:role/name)`;
  const arn = roleArnParts(roleArn);
  if (!arn) return `roleArn ${quote(roleArn)} is not a role ARN (arn:aws:iam::123456789012:role/name)`;
  if (arn.account !== accountId) return `roleArn ${quote(roleArn)} is not in accountId ${accountId}`;
  if (!Array.isArray(digests) || digests.length === 0) return `externalIdSha256 ${quote(digests)} is not a non-empty list of SHA-256 digests`;
  const normalized: string[] = [];
  for (const [i, d] of digests.entries()) {
    // Upper-case hex is the same digest: accepted as such.
    if (typeof d !== 'string' || !SHA256_HEX.test(d.toLowerCase())) return `externalIdSha256[${i}] ${quote(d)} is not 64 hex characters (the SHA-256 of the external ID, not the ID itself)`;
    normalized.push(d.toLowerCase());
  }
  return { tenantId, accountId, roleArn, roleName: arn.name.toLowerCase(), digests: normalized };
}

/** Reads a registry export. Blank lines are skipped; each malformed line is reported with its number. */
export function parseCustomerRegistry(text: string): ParsedRegistry {
  const problems: RegistryProblem[] = [];
  let dropped = 0;
  const building = new Map<string, { tenants: Set<string>; roleNames: Set<string>; roleArns: string[]; digests: Set<string> }>();
  let integrations = 0;
  const lines = text.split('\n');
  // A byte-order mark from a Windows export is not part of the first line's JSON.
  if (lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1);
  lines.forEach((raw, i) => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const line = readLine(text);
    if (typeof line === 'string') {
      if (problems.length < MAX_PROBLEMS) problems.push({ line: i + 1, message: line });
      else dropped += 1;
      return;
    }
    integrations += 1;
    let entry = building.get(line.accountId);
    if (!entry) {
      entry = { tenants: new Set(), roleNames: new Set(), roleArns: [], digests: new Set() };
      building.set(line.accountId, entry);
    }
    entry.tenants.add(line.tenantId);
    if (!entry.roleNames.has(line.roleName)) entry.roleArns.push(line.roleArn);
    entry.roleNames.add(line.roleName);
    for (const d of line.digests) entry.digests.add(d);
  });
  if (dropped > 0) problems.push({ line: 0, message: `${dropped} more malformed lines not listed` });
  const accounts = new Map<string, RegisteredAccount>();
  for (const [accountId, e] of building) {
    accounts.set(accountId, { accountId, tenants: [...e.tenants].sort(), roleNames: e.roleNames, roleArns: e.roleArns, externalIdDigests: e.digests });
  }
  const sharedAccounts = [...accounts.values()].filter((a) => a.tenants.length > 1);
  return { registry: { accounts, integrations, sharedAccounts }, problems };
}

/** One line per problem and per shared account, for a log or a terminal. */
export function describeRegistryLoad(source: string, parsed: ParsedRegistry): string[] {
  const out: string[] = [];
  for (const p of parsed.problems) out.push(p.line > 0 ? `${source}:${p.line}: ${p.message}` : `${source}: ${p.message}`);
  for (const a of parsed.registry.sharedAccounts) {
    out.push(`${source}: account ${a.accountId} is registered by ${a.tenants.length} tenants (${a.tenants.join(', ')}): one of them registered another's role (confused deputy); every assumption into it alerts`);
  }
  return out;
}
