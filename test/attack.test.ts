/** MITRE ATT&CK: every detector is mapped and says why, and every alert rendering carries the mapping. */
import { attackMapping, TECHNIQUES } from '../lambdas/core/attack';
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { toEmailText } from '../lambdas/delivery/email';
import { toRecord, toText } from '../lambdas/delivery/format';
import { DETECTORS } from '../lambdas/detectors';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { iamUser, intoOutbound } from './support/case-records';
import { processBatch } from './support/engine';

describe('ATT&CK mappings', () => {
  it.each(DETECTORS.map((d) => [d.id, d] as const))('%s names techniques under tactics ATT&CK files them in, and says why', (_id, d) => {
    expect(d.attack.length).toBeGreaterThan(0);
    for (const ref of d.attack) expect([ref.technique, (TECHNIQUES[ref.technique].tactics as readonly string[]).includes(ref.tactic)]).toEqual([ref.technique, true]);
    expect(d.attackRationale.length).toBeGreaterThan(40);
  });

  it('gives a sub-technique under its parent technique', () => {
    expect(attackMapping({ tactic: 'TA0001', technique: 'T1078.004' })).toEqual({
      tactic: { uid: 'TA0001', name: 'Initial Access' },
      technique: { uid: 'T1078', name: 'Valid Accounts' },
      subTechnique: { uid: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
    });
    expect(attackMapping({ tactic: 'TA0001', technique: 'T1199' })).toEqual({ tactic: { uid: 'TA0001', name: 'Initial Access' }, technique: { uid: 'T1199', name: 'Trusted Relationship' } });
  });

  it('appears in the JSON record, the text and the e-mail of an alert', async () => {
    // Given an IAM user assuming the outbound role (human-principal: Valid Accounts: Cloud Accounts)
    const parsed = parseRecord(intoOutbound({ time: '2024-08-01T10:45:22Z', caller: iamUser('alice') }));
    const call = parsed as ParsedCall;
    const { alerts } = await processBatch([call], { state: new MemoryStore(), ledger: new MemoryLedger() }, loadConfig(CASE_BASE_CONFIG), { now: () => call.eventTime });
    const alert = alerts.find((a) => a.detector === 'human-principal')!;
    // When it is rendered; then each rendering names the technique and its tactic
    expect(toRecord(alert).attack).toEqual([{ tactic: 'TA0004', tacticName: 'Privilege Escalation', technique: 'T1078.004', techniqueName: 'Valid Accounts: Cloud Accounts' }]);
    expect(JSON.parse(JSON.stringify(toRecord(alert))).attack[0].technique).toBe('T1078.004');
    expect(toText(alert)).toContain('att&ck:    T1078.004 Valid Accounts: Cloud Accounts (Privilege Escalation, TA0004)');
    expect(toEmailText(alert)).toContain('ATT&CK:      T1078.004 Valid Accounts: Cloud Accounts (Privilege Escalation, TA0004)');
  });
});
