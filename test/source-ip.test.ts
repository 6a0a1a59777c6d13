/** source-ip's causes: an address outside the allow-list is high, and the cause says what kind of address it is. */
import { ADDRESSES, backendSession, BASTION_ACCOUNT, intoOutbound, outToCustomer, roleSession, type Json } from './support/case-records';
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

describe('source-ip alerts per caller', () => {
  const SSO_ADMIN = roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b`, 'dana@example.com');
  const run = async (records: Json[]) => {
    const config = loadConfig({ ...CASE_BASE_CONFIG, humanRoleArnPatterns: [] });
    const calls = records.map(parsed);
    return processBatch(calls, { state: new MemoryStore(), ledger: new MemoryLedger() }, config, { now: () => calls[calls.length - 1]!.eventTime });
  };
  const sourceIpAlerts = (r: Awaited<ReturnType<typeof run>>) => r.alerts.filter((a) => a.detector === 'source-ip');

  it('never folds two callers into one alert, even from one /24 within the suppression window', async () => {
    // Given the backend's role session and an SSO user assuming the outbound role from the same outside /24
    const records = [
      intoOutbound({ time: T, sourceIp: '185.220.101.47' }),
      intoOutbound({ time: '2024-08-01T10:46:01Z', sourceIp: '185.220.101.48', caller: SSO_ADMIN, sessionName: 'dana@example.com' }),
    ];
    // When they are evaluated in one batch
    const alerts = sourceIpAlerts(await run(records));
    // Then each caller has its own alert, naming it
    expect(alerts.map((a) => a.evidence.principalArn)).toEqual([
      expect.stringContaining('assumed-role/integration-backend/'),
      expect.stringContaining('AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b/dana@example.com'),
    ]);
  });

  it('folds the sessions of one role from one /24 into one alert (a backend\'s tasks each open their own)', async () => {
    // Given two tasks of the backend, each with its own session, calling from the same outside /24
    const records = [
      intoOutbound({ time: T, sourceIp: '185.220.101.47' }),
      intoOutbound({ time: '2024-08-01T10:46:01Z', sourceIp: '185.220.101.48', caller: backendSession('9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b'), sessionName: 'backend-9e8d7c6b' }),
    ];
    // When they are evaluated in one batch
    const alerts = sourceIpAlerts(await run(records));
    // Then one alert lists both calls
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(2);
  });

  it('keeps two SSO users of one permission set apart: the person is the caller', async () => {
    // Given two people signed in through the same permission set, from one outside /24
    const other = roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_1a2b3c4d5e6f7a8b`, 'lee@example.com');
    const records = [
      intoOutbound({ time: T, sourceIp: '185.220.101.47', caller: SSO_ADMIN, sessionName: 'dana@example.com' }),
      intoOutbound({ time: '2024-08-01T10:46:01Z', sourceIp: '185.220.101.48', caller: other, sessionName: 'lee@example.com' }),
    ];
    // When they are evaluated in one batch
    const alerts = sourceIpAlerts(await run(records));
    // Then two alerts
    expect(alerts).toHaveLength(2);
  });
});
