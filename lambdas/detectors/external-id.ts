/** external-id: missing, shared between tenants, or changed external IDs. */
import { externalIdFingerprint, keys } from '../core/keys';
import { hasMember, type ReadKey, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import { evidenceOf, stateless, targetRoleLabel, type Detector, type FindingDraft } from './detector';

const MAPPING_TTL_DAYS = 400;
const MAX_ACCOUNTS_PER_ID = 32;
const MAX_IDS_PER_ACCOUNT = 16;

/** The accounts an external ID was sent to (a set: a cached copy listing `account` decides). */
function idKey(hash: string, account: string): ReadKey {
  return keys.externalIdAccounts(hash, (item) => hasMember(setOf(item.accounts), account));
}

/** The external IDs an account was assumed with (a set: a cached copy listing `hash` decides). */
function accountKey(account: string, hash: string): ReadKey {
  return keys.accountExternalIds(account, (item) => hasMember(setOf(item.xids), hash));
}

function setOf(value: unknown): readonly string[] {
  return Array.isArray(value) ? (value as string[]) : [];
}

function crossAccount(call: { kind: string; errorCode: string | null; roleAccountId?: string | null; principal: { accountId: string | null } }): boolean {
  return call.kind === 'assume-role' && call.errorCode === null && !!call.roleAccountId && call.roleAccountId !== call.principal.accountId;
}

/** See the registry; evaluated on successful cross-account assumptions by a monitored role. */
export const detector: Detector = {
  id: 'external-id',
  title: 'External ID missing, shared or changed',
  severity: 'high',
  description:
    'A monitored role assumed a customer role: without an external ID (when `requireExternalId`), with an external ID already used for another account (tenant confusion; accounts sharing an ID during the learning period are learned), or with an external ID never seen before for that account (medium; a return to an earlier ID is not a change). Only fingerprints of external IDs are stored.',
  runbook:
    'A missing or foreign external ID means the customer\'s trust policy lets the vendor in without proof of tenant: find which code path sent it, tell the customer to require sts:ExternalId, and check whether another tenant\'s data was read.',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.outRole;
    if (!role || call.kind !== 'assume-role' || !crossAccount(call)) return null;
    const account = call.roleAccountId!;
    if (call.externalId === null) {
      if (!config.requireExternalId) return null;
      return stateless({
        findings: [{
          severity: this.severity,
          title: `${targetRoleLabel(account, call, role)} assumed without an external ID`,
          cause: `${role} assumed ${call.roleArn} in account ${account} with no external ID, and the customer's trust policy allowed it`,
          dedupKey: `external-id|missing|${role}|${account}`,
          evidence: evidenceOf(subject, { problem: 'missing' }),
        }],
        updates: [],
      });
    }
    const hash = externalIdFingerprint(call.externalId);
    const byId = idKey(hash, account);
    const byAccount = accountKey(account, hash);
    return {
      keys: [byId, byAccount],
      evaluate: (state) => {
        const accounts = setOf(state.get(byId)?.accounts);
        const known = setOf(state.get(byAccount)?.xids);
        const usedHere = hasMember(accounts, account);
        const knownHere = hasMember(known, hash);
        const ttl = ttlAfter(call.eventTime, MAPPING_TTL_DAYS);
        const updates: StateUpdate[] = [];
        const findings: FindingDraft[] = [];
        if (accounts.length > 0 && !usedHere && state.learned(role, call.eventTime)) {
          // Another tenant's ID: report it, and learn nothing from it.
          findings.push({
            severity: this.severity,
            title: 'One external ID used for two customer accounts',
            cause: `external ID ${hash} of account${accounts.length > 1 ? 's' : ''} ${accounts.slice(0, 3).join(', ')} was sent to ${call.roleArn}${known.length > 0 && !knownHere ? ` (that account's own ID is ${known.join(' or ')})` : ''}`,
            dedupKey: `external-id|shared|${hash}|${account}`,
            evidence: evidenceOf(subject, { problem: 'shared', externalIdFingerprint: hash, accountsWithThisId: accounts.slice(0, 10) }),
          });
          return { findings, updates };
        }
        if (!usedHere && accounts.length < MAX_ACCOUNTS_PER_ID) updates.push({ key: byId, addToSet: { accounts: [account] }, expiresAt: ttl });
        if (!knownHere && known.length < MAX_IDS_PER_ACCOUNT) updates.push({ key: byAccount, addToSet: { xids: [hash] }, expiresAt: ttl });
        if (known.length > 0 && !knownHere) {
          findings.push({
            severity: 'medium',
            title: 'External ID for a customer account changed',
            cause: `account ${account} was assumed with external ID ${hash}, before with ${known.join(', ')}`,
            dedupKey: `external-id|changed|${account}|${hash}`,
            evidence: evidenceOf(subject, { problem: 'changed', externalIdFingerprint: hash, previousFingerprint: known[known.length - 1]!, previousFingerprints: [...known] }),
          });
        }
        return { findings, updates };
      },
    };
  },
};
