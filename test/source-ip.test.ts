/** source-ip's causes: an address outside the allow-list is high, and the cause says what kind of address it is. */
import { ADDRESSES, intoOutbound, outToCustomer, type Json } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { processBatch } from './support/engine';

const T = '2024-08-01T10:45:22Z';

function parsed(record: Json): ParsedCall {
  const result = parseRecord(record);
  if (result.kind === 'rejected' || result.kind === 'ignored') throw new Error(`not a call: ${JSON.stringify(result)}`);
  return result;
}

describe('source-ip with an allow-list', () => {
  it.each([
    ['an EC2 address in the vendor\'s region', outToCustomer({ time: T, sourceIp: '3.80.20.12' }), 'aws', '3.80.20.12 is an AWS address (EC2 us-east-1) outside allowedCidrs'],
    ['a private address behind a VPC endpoint', intoOutbound({ time: T, sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890' } }), 'private', `private address ${ADDRESSES.vpc} via VPC endpoint vpce-0a1b2c3d4e5f67890 is not in allowedCidrs`],
    ['another network\'s address', outToCustomer({ time: T, sourceIp: ADDRESSES.tor }), 'external', `${ADDRESSES.tor} is neither in allowedCidrs nor an AWS address`],
  ])('rates %s high and says which kind it is', async (_what, record, addressClass, cause) => {
    // Given the cases' allow-list (nat-eu, nat-us)
    const config = loadConfig(CASE_BASE_CONFIG);
    const call = parsed(record);
    // When a monitored AssumeRole comes from outside it
    const result = await processBatch([call], { state: new MemoryStore(), ledger: new MemoryLedger() }, config, { now: () => call.eventTime });
    // Then one high source-ip finding whose cause names the kind of address
    const findings = result.findings.filter((f) => f.detector === 'source-ip');
    expect(findings.map((f) => f.severity)).toEqual(['high']);
    expect(findings[0]!.cause).toContain(cause);
    expect(findings[0]!.evidence.details.addressClass).toBe(addressClass);
  });
});
