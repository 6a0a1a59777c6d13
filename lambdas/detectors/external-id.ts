/** external-id: missing, shared between tenants, or changed external IDs. */
import { externalIdSha256, type RegisteredAccount } from '../core/customer-registry';
import { externalIdFingerprint, keys } from '../core/keys';
import { hasMember, type ReadKey, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import { quoted } from '../core/text';
import { evidenceOf, setOf, stateless, targetRoleLabel, type Detector, type DetectorResult, type FindingDraft, type StateView, type Subject } from './detector';

const MAPPING_TTL_DAYS = 400;
const MAX_ACCOUNTS_PER_ID = 32;
const MAX_IDS_PER_ACCOUNT = 16;

/** The accounts an external ID was sent to (a set: a cached copy listing `account` decides). */
function idKey(hash: string, account: string): ReadKey {
  return keys.externalIdAccounts(hash, (item) => hasMember(setOf(item, 'accounts'), account));
}

/** The external IDs an account was assumed with (a set: a cached copy listing `hash` decides). */
function accountKey(account: string, hash: string): ReadKey {
  return keys.accountExternalIds(account, (item) => hasMember(setOf(item, 'xids'), hash));
}

/**
 * The dedup key of "assumed without an external ID": one per outbound role and customer account,
 * shared with the scheduled re-check's alert about the same role, so a SOC folding by it sees one issue.
 */
export function missingExternalIdKey(outboundRole: string, account: string): string {
  return `external-id|missing|${outboundRole}|${account}`;
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
    'A monitored role assumed a customer role: without an external ID (when `requireExternalId`), with an external ID already used for another account (tenant confusion; accounts sharing an ID during the learning period are learned), or with an external ID never seen before for that account (medium; a return to an earlier ID is not a change). Only fingerprints of external IDs are stored. With a customer registry (`customerRegistry`) that lists the account, the registry decides instead: an external ID whose SHA-256 it does not list for the account is high (a re-installed customer\'s new ID, once exported, is quiet), and so is any assumption into an account that two tenants registered (a confused deputy: one registered another\'s role). Accounts it does not list are target-role\'s.',
  runbook:
    'A missing or foreign external ID means the customer\'s trust policy lets the vendor in without proof of tenant: find which code path sent it, tell the customer to require sts:ExternalId, and check whether another tenant\'s data was read. An ID the customer registry does not list for the account: compare with the tenant\'s record in the onboarding system (a re-install exports the new digest); an account two tenants registered: find which tenant registered a role that is not theirs, and remove it before the vendor assumes it for them.',
  attack: [{ tactic: 'TA0001', technique: 'T1199' }],
  attackRationale: 'The external ID is the customer\'s proof of tenant in its trust of the vendor: a missing, foreign or unregistered one abuses that trust (a confused deputy).',
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
          cause: `a session of ${quoted(role)} assumed ${quoted(call.roleArn ?? '')} in account ${account} with no external ID, and the customer's trust policy allowed it`,
          dedupKey: missingExternalIdKey(role, account),
          evidence: evidenceOf(subject, { problem: 'missing' }),
        }],
        updates: [],
      });
    }
    const hash = externalIdFingerprint(call.externalId);
    const byId = idKey(hash, account);
    const byAccount = accountKey(account, hash);
    // With a customer registry that lists the account, the vendor's own list decides; the
    // learned mappings are still kept (the baseline a registry outage falls back on).
    const registered = config.customers?.accounts.get(account);
    const registryFindings = registered ? registryChecks(registered, call.externalId, hash, role, subject) : null;
    const targetArn = call.roleArn ?? '';
    return {
      keys: [byId, byAccount],
      evaluate: (state) => {
        const learned = learnedChecks(state, { byId, byAccount, account, hash, role, targetArn, subject });
        return registryFindings ? { findings: registryFindings, updates: learned.updates } : learned;
      },
    };
  },
};

/** What the learned checks of one call work with. */
interface LearnedInput {
  readonly byId: ReadKey;
  readonly byAccount: ReadKey;
  readonly account: string;
  readonly hash: string;
  readonly role: string;
  readonly targetArn: string;
  readonly subject: Subject;
}

/** The learned checks: an ID already sent to another account, or one new to this account. */
function learnedChecks(state: StateView, { byId, byAccount, account, hash, role, targetArn, subject }: LearnedInput): DetectorResult {
  const { call } = subject;
  const accounts = setOf(state.get(byId), 'accounts');
  const known = setOf(state.get(byAccount), 'xids');
  const usedHere = hasMember(accounts, account);
  const knownHere = hasMember(known, hash);
  const ttl = ttlAfter(call.eventTime, MAPPING_TTL_DAYS);
  const updates: StateUpdate[] = [];
  const findings: FindingDraft[] = [];
  if (accounts.length > 0 && !usedHere && state.learned(role, call.eventTime)) {
    // Another tenant's ID: report it, and learn nothing from it.
    findings.push({
      severity: 'high',
      title: 'One external ID used for two customer accounts',
      cause: `external ID ${hash} of account${accounts.length > 1 ? 's' : ''} ${accounts.slice(0, 3).join(', ')} was sent to ${quoted(targetArn)}${known.length > 0 && !knownHere ? ` (that account's own ID is ${known.join(' or ')})` : ''}`,
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
}

/** What the registry says of this external ID for a registered account: findings, or none. */
function registryChecks(registered: RegisteredAccount, externalId: string, hash: string, role: string, subject: Subject): FindingDraft[] {
  const { call } = subject;
  const findings: FindingDraft[] = [];
  const account = registered.accountId;
  if (registered.tenants.length > 1) {
    findings.push({
      severity: 'high',
      title: 'Customer account registered by two tenants assumed',
      cause: `a session of ${quoted(role)} assumed ${quoted(call.kind === 'assume-role' ? call.roleArn ?? '' : '')} in account ${account}, which the customer registry lists for tenants ${registered.tenants.map((t) => quoted(t)).join(' and ')}: one of them registered another's role (confused deputy)`,
      dedupKey: `external-id|registry-shared|${account}`,
      evidence: evidenceOf(subject, { problem: 'account registered by several tenants', tenants: [...registered.tenants] }),
    });
  }
  const digest = externalIdSha256(externalId);
  if (!registered.externalIdDigests.has(digest)) {
    findings.push({
      severity: 'high',
      title: 'External ID not registered for the customer account',
      cause: `a session of ${quoted(role)} assumed ${quoted(call.kind === 'assume-role' ? call.roleArn ?? '' : '')} in account ${account} (tenant ${registered.tenants.map((t) => quoted(t)).join(', ')}) with external ID ${hash}, whose SHA-256 is not among the ${registered.externalIdDigests.size} the customer registry lists for it`,
      dedupKey: `external-id|unregistered|${account}|${hash}`,
      evidence: evidenceOf(subject, { problem: 'not registered', externalIdFingerprint: hash, tenants: [...registered.tenants] }),
    });
  }
  return findings;
}
