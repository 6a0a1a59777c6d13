/** Customer registries for tests: built from line objects through the real parser. */
import { externalIdSha256, parseCustomerRegistry, type CustomerRegistry } from '../../lambdas/core/customer-registry';
import { customerRole, CUSTOMERS, externalIdOf } from './case-records';

/** A registry from its lines; a line the parser refuses fails the test. */
export function registryOf(lines: readonly Readonly<Record<string, unknown>>[]): CustomerRegistry {
  const parsed = parseCustomerRegistry(lines.map((l) => JSON.stringify(l)).join('\n'));
  if (parsed.problems.length > 0) throw new Error(`bad registry lines: ${JSON.stringify(parsed.problems)}`);
  return parsed.registry;
}

/** The registry line of one of the cases' customers: its account, its role, its external ID's digest. */
export function registryLine(tenantId: string, account: string, o: { roleArn?: string; externalIds?: readonly string[] } = {}): Record<string, unknown> {
  return { tenantId, accountId: account, roleArn: o.roleArn ?? customerRole(account), externalIdSha256: (o.externalIds ?? [externalIdOf(account)]).map(externalIdSha256) };
}

/** Every customer of the cases, each its own tenant, as the vendor's onboarding system exports them. */
export const CASE_REGISTRY: readonly Record<string, unknown>[] = Object.entries(CUSTOMERS).map(([name, account], i) => registryLine(`t-${String(i + 1).padStart(4, '0')}-${name}`, account));
