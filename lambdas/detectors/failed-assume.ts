/** failed-assume: bursts of denied AssumeRole calls around a monitored role. */
import { keys } from '../core/keys';
import { hasMember, type StateUpdate } from '../core/state';
import { DAY_MS, ttlAfter, windowOf } from '../core/time';
import { accountOf } from '../core/parse';
import { boundedMember, countOf, countOnce, evidenceOf, targetRoleLabel, type Detector, type Subject } from './detector';

const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized/i;
const MAX_TARGETS = 32;

function caller(subject: Subject): string | null {
  const { call } = subject;
  if (call.kind !== 'assume-role' || call.errorCode === null || !DENIED.test(call.errorCode)) return null;
  if (!subject.intoRole && !subject.outRole) return null;
  const p = call.principal;
  return p.arn ?? (p.accountId ? `account:${p.accountId}` : null) ?? (call.source.text ? `address:${call.source.text}` : null);
}

/** See the registry; evaluated on denied AssumeRole calls from or against a monitored role. */
export const detector: Detector = {
  id: 'failed-assume',
  title: 'Burst of denied role assumptions',
  severity: 'high',
  description:
    'One caller had at least `failedAssumeMaxCalls` AssumeRole calls denied within `failedAssumeWindowMinutes`, either made by a monitored role\'s session (probing customer accounts, confused-deputy attempts) or against a monitored role (someone trying to get in). The role is taken from `errorMessage` when a failure nulls the request.',
  runbook:
    'List the denied targets in the evidence. Outbound probing of accounts that are not customers means the session is in the wrong hands: revoke it. Attempts against the outbound role show who is trying to reach it: check that principal\'s credentials.',
  plan(subject, config) {
    const who = caller(subject);
    const { call } = subject;
    if (!who || call.kind !== 'assume-role') return null;
    const windowMs = config.failedAssumeWindowMinutes * 60_000;
    const w = windowOf(call.eventTime, config.failedAssumeWindowMinutes);
    const currentKey = keys.failedWindow(who, w);
    const previousKey = keys.failedWindow(who, w - 1);
    return {
      keys: [currentKey, previousKey],
      evaluate: (state) => {
        const current = state.get(currentKey);
        const expiresAt = ttlAfter(call.eventTime, (2 * windowMs) / DAY_MS);
        const counted = countOnce(currentKey, call.eventId, current, expiresAt);
        const previous = countOf(state.get(previousKey));
        const estimate = Math.round(counted.count + previous * (1 - (call.eventTime % windowMs) / windowMs));
        const known = (current?.targets as readonly string[] | undefined) ?? [];
        const target = boundedMember(call.roleArn ?? 'unknown');
        const isNew = !hasMember(known, target);
        const updates: StateUpdate[] = counted.update ? [counted.update] : [];
        if (isNew && known.length < MAX_TARGETS) updates.push({ key: currentKey, addToSet: { targets: [target] }, expiresAt });
        if (estimate < config.failedAssumeMaxCalls) return { findings: [], updates };
        const targets = isNew ? [...known, target] : known;
        const outbound = subject.outRole && !subject.intoRole ? subject.outRole : null;
        const direction = outbound ? `from ${outbound}` : `against ${subject.intoRole}`;
        // Targets in one account are named by it; in several, some are customers'.
        const accounts = new Set(targets.map(accountOf));
        const probed = outbound ? targetRoleLabel(accounts.size === 1 ? accountOf(targets[0]!) : null, call, outbound, true) : '';
        return {
          findings: [{
            severity: this.severity,
            title: outbound ? `Outbound session probing ${probed.toLowerCase()}` : 'Repeated denied attempts to assume the outbound role',
            cause: `${estimate} denied AssumeRole calls ${direction} by ${who} in ${config.failedAssumeWindowMinutes} min (${targets.length} distinct roles)`,
            dedupKey: `failed-assume|${who}`,
            evidence: evidenceOf(subject, { deniedCalls: estimate, distinctTargets: targets.length, targets: targets.slice(0, 10), errorCode: call.errorCode ?? '' }),
          }],
          updates,
        };
      },
    };
  },
};
