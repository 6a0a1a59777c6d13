/**
 * Finding titles name what a monitored role's session assumed: a customer's role, or a role in
 * the session's own (bastion) account. A hop to another of the vendor's roles titled "Customer
 * role assumed …" sends the SOC to a customer that was never touched.
 */
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { ADDRESSES, BASTION_ACCOUNT, CUSTOMERS, customerRole, outToCustomer, times, type Json } from './support/case-records';
import { processBatch } from './support/engine';

/** A role in the bastion account that is not monitored (no `outbound-` prefix). */
const BASTION_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/reporting-reader`;

function parsed(raw: Json): ParsedCall {
  const result = parseRecord(raw);
  if (result.kind !== 'assume-role') throw new Error(`expected an AssumeRole call, got ${result.kind}${result.kind === 'rejected' ? `: ${result.reason}` : ''}`);
  return result;
}

/** The titles of one detector's findings over the records, each record a batch at its own time. */
async function titles(detector: string, records: readonly Json[], config: Record<string, unknown> = {}): Promise<string[]> {
  const compiled = loadConfig({ ...CASE_BASE_CONFIG, ...config });
  const ports = { state: new MemoryStore(), ledger: new MemoryLedger() };
  const out: string[] = [];
  for (const raw of records) {
    const call = parsed(raw);
    const { findings } = await processBatch([call], ports, compiled, { now: () => call.eventTime });
    out.push(...findings.filter((f) => f.detector === detector).map((f) => f.title));
  }
  return out;
}

const T = '2024-08-01T10:00:00Z';

describe('titles of assumptions made by a monitored role\'s session', () => {
  it('name a role in the bastion account as such when the session assumes it with an e-mail address as its name', async () => {
    // Given the outbound session assuming a role in its own account, named like a person
    const hop = outToCustomer({ time: T, roleArn: BASTION_ROLE, sessionName: 'alice@example.com', noExternalId: true });
    // When processed
    // Then session-name's title says where the role is
    expect(await titles('session-name', [hop], { sessionNamePattern: '^ar-sync-\\d+$' })).toEqual(['Role in the bastion account assumed with an e-mail address as session name']);
  });

  it('still name a customer\'s role a customer role, for the same session name', async () => {
    // Given the outbound session assuming acme's role, named like a person
    const reach = outToCustomer({ time: T, sessionName: 'alice@example.com' });
    // Then the title says customer role
    expect(await titles('session-name', [reach], { sessionNamePattern: '^ar-sync-\\d+$' })).toEqual(['Customer role assumed with an e-mail address as session name']);
  });

  it('name a role in the bastion account in source-ip\'s title, and a customer\'s role a customer role', async () => {
    // Given the outbound session assuming a bastion role, and globex's, from a non-AWS address
    const hop = outToCustomer({ time: T, roleArn: BASTION_ROLE, noExternalId: true, sourceIp: ADDRESSES.external });
    const reach = outToCustomer({ time: T, account: CUSTOMERS.globex, sourceIp: ADDRESSES.external });
    // Then each title names its target
    expect(await titles('source-ip', [hop])).toEqual(['Role in the bastion account assumed from a non-AWS address']);
    expect(await titles('source-ip', [reach])).toEqual(['Customer role assumed from a non-AWS address']);
  });

  it('name the bastion account when a session\'s record leaves out its account ID', async () => {
    // Given a hop whose userIdentity has no accountId (the monitored role's ARN still names it)
    const hop = outToCustomer({ time: T, roleArn: BASTION_ROLE, noExternalId: true, sourceIp: ADDRESSES.external });
    const identity = { ...(hop.userIdentity as Json) };
    delete identity.accountId;
    // Then the title still names the bastion account
    expect(await titles('source-ip', [{ ...hop, userIdentity: identity }])).toEqual(['Role in the bastion account assumed from a non-AWS address']);
  });

  it('name the probed roles by their account in failed-assume\'s title: the bastion\'s only when every target is there', async () => {
    // Given ten denied assumptions of bastion roles, then ten of bastion and customer roles mixed
    const at = times(T, 10, 30);
    const hops = at.map((time, i) => outToCustomer({ time, roleArn: `arn:aws:iam::${BASTION_ACCOUNT}:role/admin-${i}`, noExternalId: true, error: { code: 'AccessDenied' } }));
    const mixed = at.map((time, i) => outToCustomer({ time, roleArn: i % 2 === 0 ? BASTION_ROLE : customerRole(CUSTOMERS.initech), error: { code: 'AccessDenied' } }));
    // Then the first burst probes roles in the bastion account, the second customer roles
    expect(await titles('failed-assume', hops)).toEqual(['Outbound session probing roles in the bastion account']);
    expect(await titles('failed-assume', mixed)).toEqual(['Outbound session probing customer roles']);
  });
});
