/**
 * The customer registry as the vendor's onboarding system exports it (JSON Lines, the contract
 * other tools write): one line per customer account, `{tenantId, accountId, roleArn,
 * externalIdSha256}`, the digests newest first (a re-installed customer lists both). One export
 * covers the whole period: customers onboarded during it are in, offboarded ones stay in, and
 * accounts that never were customers (an ex-trial's) are not.
 */
import { createHash } from 'node:crypto';
import type { Calendar } from './calendar';

/** One line of the export. */
export interface RegistryLine {
  readonly tenantId: string;
  readonly accountId: string;
  readonly roleArn: string;
  /** Lowercase hex SHA-256 of each external ID's UTF-8 bytes, exactly as sent; the current one first. */
  readonly externalIdSha256: readonly string[];
}

/** The tenant ID the onboarding system gave customer `customer` (numbered from 0): `t-0001`, … */
export const tenantId = (customer: number): string => `t-${String(customer + 1).padStart(4, '0')}`;

/** The registry's digest of an external ID. */
export const externalIdDigest = (externalId: string): string => createHash('sha256').update(externalId, 'utf8').digest('hex');

/** The export as of `end`: every customer account known by then, in customer order. */
export function registryExport(calendar: Calendar, end: number): RegistryLine[] {
  return calendar.registered(end).map(({ account, externalIds }) => ({
    tenantId: tenantId(account.customer),
    accountId: account.account,
    roleArn: account.role.arn,
    externalIdSha256: externalIds.map(externalIdDigest),
  }));
}

/** The export's text: one JSON object per line. */
export const registryText = (lines: readonly RegistryLine[]): string => lines.map((l) => `${JSON.stringify(l)}\n`).join('');
