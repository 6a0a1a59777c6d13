/** external-id: missing, shared between tenants, or changed external IDs. */
import { createHash } from 'node:crypto';
import type { StateKey, StateUpdate } from '../store/port';
import { evidenceOf, QUIET, ttlAfter, type Detector, type FindingDraft } from './detector';

const MAPPING_TTL_DAYS = 400;
const MAX_ACCOUNTS_PER_ID = 32;

/** External IDs are shared secrets: state and alerts hold a fingerprint, never the value. */
export function fingerprint(externalId: string): string {
  return createHash('sha256').update(externalId).digest('hex').slice(0, 16);
}

function idKey(hash: string): StateKey {
  return { pk: `xid#${hash}`, sk: 'accounts' };
}

function accountKey(account: string): StateKey {
  return { pk: `account#${account}`, sk: 'xid' };
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
    'A monitored role assumed a customer role: without an external ID (when `requireExternalId`), with an external ID already used for another account (tenant confusion; accounts sharing an ID during the learning period are learned), or with a different external ID than before for that account (medium). Only fingerprints of external IDs are stored.',
  runbook:
    'A missing or foreign external ID means the customer\'s trust policy lets the vendor in without proof of tenant: find which code path sent it, tell the customer to require sts:ExternalId, and check whether another tenant\'s data was read.',
  keys(subject) {
    const { call } = subject;
    if (!subject.outRole || call.kind !== 'assume-role' || !crossAccount(call) || call.externalId === null) return [];
    return [idKey(fingerprint(call.externalId)), accountKey(call.roleAccountId!)];
  },
  evaluate(subject, state, config) {
    const { call } = subject;
    const role = subject.outRole;
    if (!role || call.kind !== 'assume-role' || !crossAccount(call)) return QUIET;
    const account = call.roleAccountId!;
    if (call.externalId === null) {
      if (!config.requireExternalId) return QUIET;
      return {
        findings: [{
          severity: this.severity,
          title: 'Customer role assumed without an external ID',
          cause: `${role} assumed ${call.roleArn} in account ${account} with no external ID, and the customer's trust policy allowed it`,
          dedupKey: `external-id|missing|${role}|${account}`,
          evidence: evidenceOf(subject, { problem: 'missing' }),
        }],
        updates: [],
      };
    }
    const hash = fingerprint(call.externalId);
    const accounts = (state.get(idKey(hash))?.accounts as readonly string[] | undefined) ?? [];
    const previousHash = state.get(accountKey(account))?.xid as string | undefined;
    const ttl = ttlAfter(call.eventTime, MAPPING_TTL_DAYS);
    const updates: StateUpdate[] = [];
    const findings: FindingDraft[] = [];
    if (accounts.length > 0 && !accounts.includes(account) && state.learned(role, call.eventTime)) {
      // Another tenant's ID: report it, and learn nothing from it.
      findings.push({
        severity: this.severity,
        title: 'One external ID used for two customer accounts',
        cause: `external ID ${hash} of account${accounts.length > 1 ? 's' : ''} ${accounts.slice(0, 3).join(', ')} was sent to ${call.roleArn}${previousHash && previousHash !== hash ? ` (that account's own ID is ${previousHash})` : ''}`,
        dedupKey: `external-id|shared|${hash}|${account}`,
        evidence: evidenceOf(subject, { problem: 'shared', externalIdFingerprint: hash, accountsWithThisId: accounts.slice(0, 10) }),
      });
      return { findings, updates };
    }
    if (!accounts.includes(account) && accounts.length < MAX_ACCOUNTS_PER_ID) updates.push({ key: idKey(hash), addToSet: { accounts: [account] }, expiresAt: ttl });
    if (previousHash !== hash) updates.push({ key: accountKey(account), set: { xid: hash }, expiresAt: ttl });
    if (previousHash !== undefined && previousHash !== hash) {
      findings.push({
        severity: 'medium',
        title: 'External ID for a customer account changed',
        cause: `account ${account} was assumed with external ID ${hash}, before with ${previousHash}`,
        dedupKey: `external-id|changed|${account}|${hash}`,
        evidence: evidenceOf(subject, { problem: 'changed', externalIdFingerprint: hash, previousFingerprint: previousHash }),
      });
    }
    return { findings, updates };
  },
};
