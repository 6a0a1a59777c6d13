/** session-name: a role session name that breaks the pattern or the learned shapes. */
import { createHash } from 'node:crypto';
import { keys } from '../core/keys';
import { hasMember, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import { quoted } from '../core/text';
import { evidenceOf, NOTHING, targetRoleLabel, type Detector, type FindingDraft } from './detector';
import { shapeOf } from '../core/names';

const MAX_SHAPES = 64;
const SHAPES_TTL_DAYS = 180;

/** See the registry; evaluated on AssumeRole calls made by a monitored role's session. */
export const detector: Detector = {
  id: 'session-name',
  title: 'Unusual role session name',
  severity: 'medium',
  description:
    'A customer role was assumed by a monitored role with a session name that does not match `sessionNamePattern`, or, after the learning period, whose shape (digits, hex, UUIDs folded into classes) was never seen for that role. E-mail-like names mean a person and rate high. Customers see these names in their own CloudTrail. The role checker\'s sessions (`roleCheckerArns`) name themselves: not judged.',
  runbook:
    'Find the code path or tool that chose the name (the vendor backend uses a fixed scheme). A default SDK or CLI name, or a person\'s address, means someone holds the outbound session outside the backend: revoke it and review the assumed customer roles.',
  attack: [{ tactic: 'TA0005', technique: 'T1078.004' }],
  attackRationale: 'Valid credentials driven by other code than the backend\'s, which the session name gives away while everything else blends in with the role\'s normal use.',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.outRole;
    if (!role || call.kind !== 'assume-role' || call.roleSessionName === null) return null;
    const name = call.roleSessionName;
    const shape = shapeOf(name);
    // Shapes only accumulate: a cached copy that knows this one decides.
    const key = keys.sessionNameShapes(role, (item) => Array.isArray(item.shapes) && hasMember(item.shapes as readonly string[], shape));
    return {
      keys: [key],
      evaluate: (state) => {
        // The role checker names its own sessions: neither judged nor learned.
        if (state.roleChecker() !== null) return NOTHING;
        const email = shape === '{email}';
        const item = state.get(key);
        const known = (item?.shapes as readonly string[] | undefined) ?? [];
        const isKnown = hasMember(known, shape);
        const updates: StateUpdate[] = [];
        if (!isKnown && known.length < MAX_SHAPES) updates.push({ key, addToSet: { shapes: [shape] }, expiresAt: ttlAfter(call.eventTime, SHAPES_TTL_DAYS) });
        else if (item && (item.expiresAt as number) < ttlAfter(call.eventTime, SHAPES_TTL_DAYS / 2)) updates.push({ key, expiresAt: ttlAfter(call.eventTime, SHAPES_TTL_DAYS) });
        let cause: string | null = null;
        if (config.sessionNameRegex && !config.sessionNameRegex.test(name)) cause = `does not match sessionNamePattern ${JSON.stringify(config.sessionNamePattern)}`;
        else if (!isKnown && known.length > 0 && state.learned(role, call.eventTime)) cause = `has shape ${quoted(shape)}, never seen for ${quoted(role)} (known: ${known.slice(0, 5).map((k) => quoted(k)).join(', ')})`;
        if (cause === null) return { findings: [], updates };
        const finding: FindingDraft = {
          severity: email ? 'high' : this.severity,
          title: `${targetRoleLabel(call.roleAccountId, call, role)} assumed with ${email ? 'an e-mail address as session name' : 'an unusual session name'}`,
          cause: `session name ${quoted(name)} ${cause}`,
          dedupKey: `session-name|${role}|${createHash('sha256').update(shape).digest('hex').slice(0, 16)}`,
          evidence: evidenceOf(subject, { sessionName: name, shape, knownShapes: known.slice(0, 10) }),
        };
        return { findings: [finding], updates };
      },
    };
  },
};
