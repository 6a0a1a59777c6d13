/** target-role: which role a monitored role's session assumes in another account (or its own). */
import { keys } from '../core/keys';
import { accountOf } from '../core/parse';
import { hasMember, type StateUpdate } from '../core/state';
import { DAY_MS, ttlAfter } from '../core/time';
import { evidenceOf, roleName, setOf, stateless, targetRoleLabel, type Detector } from './detector';
import { boundedMember, shapeOf } from '../core/names';
import { quoted } from '../core/text';

/** Role-name shapes kept per monitored role and account: a customer gives the vendor one or two roles. */
const MAX_SHAPES_PER_ACCOUNT = 16;
/** As long as external-id keeps an account's IDs: customers scanned rarely keep their baseline. */
const SHAPES_TTL_DAYS = 400;

/** What IAM accepts as a role name; anything else in a record names no role that could exist. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The dedup key: per monitored role and target role; a denied try apart, so a later success still alerts. */
function dedupKey(role: string, targetArn: string, denied: boolean): string {
  return `target-role|${denied ? 'denied|' : ''}${role}|${boundedMember(targetArn)}`;
}

/** Where the target is, for causes: the monitored role's own account (as {@link targetRoleLabel} tells it) or another. */
function where(account: string | null, ownAccount: string | null, role: string): string {
  if (account === null) return 'an account the ARN does not name';
  return account === ownAccount || account === accountOf(role) ? `its own account ${account}` : `account ${account}`;
}

/** See the registry; evaluated on AssumeRole calls made by a monitored role's session. */
export const detector: Detector = {
  id: 'target-role',
  title: 'Unusual role assumed by the outbound role',
  severity: 'high',
  description:
    'A monitored role\'s session assumed a role whose name matches `pivotRoleNamePatterns` (organisation access, Control Tower, StackSets, AFT, any `admin`): high whether learned or not, and a denied try high too (one careful try stays under failed-assume\'s burst). Otherwise the role-name shapes (digits, hex, UUIDs folded) are learned per monitored role and target account: after the learning period, a shape never seen in an account that already had a known role and is past its first `learningPeriodDays` since first contact is medium (an existing customer suddenly reached through another role). A new account\'s roles are learned silently in its first days, whatever their names, so onboarding a customer with the standard name or a per-customer one (`AcmeIntegrationRole`) makes no noise; which accounts may be reached at all is the customer registry\'s question. Same-account assumptions (the bastion) are judged the same way. Denied calls and pivot names are never learned. With a customer registry (`customerRegistry`), a successful assumption into another account is judged by it instead: an account it does not list is high, and so is a role it does not list for that account (role names compare case-insensitively, without the path); registered roles are quiet.',
  runbook:
    'Ask the customer (or the bastion\'s owner) whether the vendor should hold this role: a pivot or admin role means a trust policy lets the vendor\'s account in broadly, so have the customer narrow it to the integration role with sts:ExternalId, and find which code path or person chose the role. A different role in a known account: confirm a planned change with the customer, else treat the outbound session as held by someone else (revoke it, review what the assumed role did in the customer\'s CloudTrail). If your own integration role matches a pivot pattern, list it in `pivotRoleNameExceptions`. An account or role the customer registry does not list: look it up in the onboarding system (a customer onboarded after the last export is listed there; the function reads the registry again when it sees one); if it was never a customer, revoke the outbound session and find who chose the account.',
  attack: [{ tactic: 'TA0004', technique: 'T1548.005' }, { tactic: 'TA0001', technique: 'T1199' }],
  attackRationale: 'Assuming an admin or pivot role, or a role the customer never gave the vendor, is temporary elevated cloud access obtained through the customer\'s trust in the vendor\'s account.',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.outRole;
    if (!role || call.kind !== 'assume-role' || call.roleArn === null) return null;
    const targetArn = call.roleArn;
    const name = roleName(targetArn);
    if (!ROLE_NAME.test(name)) return null;
    const account = call.roleAccountId;
    const denied = call.errorCode !== null;
    const pattern = config.pivotRoleNamePattern(name);
    if (pattern !== null) {
      // Learned or not, succeeded or not: these roles exist to administer an account from outside.
      // Nothing is learned from them either: the baseline is what the vendor normally holds.
      const label = targetRoleLabel(account, call, role);
      return stateless({
        findings: [{
          severity: this.severity,
          title: denied ? `Tried to assume a ${label.toLowerCase()} with an admin or pivot name` : `${label} with an admin or pivot name assumed`,
          cause: `a session of ${quoted(role)} ${denied ? `tried to assume (${quoted(call.errorCode!, 64)})` : 'assumed'} ${quoted(targetArn)} in ${where(account, call.principal.accountId, role)}: ${quoted(name)} matches pivotRoleNamePatterns ${JSON.stringify(pattern)}`,
          dedupKey: dedupKey(role, targetArn, denied),
          evidence: evidenceOf(subject, { outcome: denied ? 'denied' : 'assumed', targetRoleArn: targetArn, targetRoleName: name, matchedPattern: pattern }),
        }],
        updates: [],
      });
    }
    // A denied call proves no role trusts the vendor: failed-assume counts them, nothing is learned.
    if (denied || account === null) return null;
    const customers = config.customers;
    const customerAccount = account !== call.principal.accountId && account !== accountOf(role);
    // With a customer registry, the vendor's own list answers which roles may be held in which
    // account: what it does not list is high, and nothing is learned from it.
    if (customers !== null && customerAccount) {
      const registered = customers.accounts.get(account);
      const label = targetRoleLabel(account, call, role);
      if (registered === undefined) {
        return stateless({
          findings: [{
            severity: 'high',
            title: 'Role assumed in an account that is not a registered customer',
            cause: `a session of ${quoted(role)} assumed ${quoted(targetArn)}, but account ${account} is not in the customer registry (${customers.integrations} integrations)`,
            dedupKey: `target-role|unregistered-account|${role}|${account}`,
            evidence: evidenceOf(subject, { outcome: 'assumed', targetRoleArn: targetArn, targetRoleName: name, registry: 'account not registered' }),
          }],
          updates: [],
        });
      }
      if (!registered.roleNames.has(name.toLowerCase())) {
        return stateless({
          findings: [{
            severity: 'high',
            title: `${label} not registered for its account assumed`,
            cause: `a session of ${quoted(role)} assumed ${quoted(targetArn)} in account ${account} (tenant ${registered.tenants.map((t) => quoted(t)).join(', ')}), which the customer registry lists with ${registered.roleArns.slice(0, 3).map((r) => quoted(r)).join(', ')} only`,
            dedupKey: dedupKey(role, targetArn, false),
            evidence: evidenceOf(subject, { outcome: 'assumed', targetRoleArn: targetArn, targetRoleName: name, registry: 'role not registered', tenants: [...registered.tenants], registeredRoles: registered.roleArns.slice(0, 10) }),
          }],
          updates: [],
        });
      }
    }
    // A registered role: the registry has answered, the shapes are still learned (the baseline a
    // registry outage falls back on).
    const registryDecides = customers !== null && customerAccount;
    const shape = shapeOf(name);
    // Shapes only accumulate: a cached copy that knows this one decides (known: quiet).
    const key = keys.targetRoleNames(role, account, (item) => hasMember(setOf(item, 'shapes'), shape));
    const learningMs = config.learningPeriodDays * DAY_MS;
    return {
      keys: [key],
      evaluate: (state) => {
        const item = state.get(key);
        const known = setOf(item, 'shapes');
        const isKnown = hasMember(known, shape);
        const ttl = ttlAfter(call.eventTime, SHAPES_TTL_DAYS);
        const updates: StateUpdate[] = [];
        if (!isKnown && known.length < MAX_SHAPES_PER_ACCOUNT) {
          // The account's first contact starts its own learning period (a customer's roles are all used in its first days).
          updates.push({ key, addToSet: { shapes: [shape] }, ...(typeof item?.firstSeenAt === 'number' ? {} : { setIfAbsent: { firstSeenAt: call.eventTime } }), expiresAt: ttl });
        } else if (item && (item.expiresAt as number) < ttlAfter(call.eventTime, SHAPES_TTL_DAYS / 2)) {
          updates.push({ key, expiresAt: ttl });
        }
        if (registryDecides || isKnown || known.length === 0 || !state.learned(role, call.eventTime)) return { findings: [], updates };
        const firstSeenAt = item?.firstSeenAt;
        if (typeof firstSeenAt === 'number' && call.eventTime - firstSeenAt < learningMs) return { findings: [], updates };
        return {
          findings: [{
            severity: 'medium',
            title: `${targetRoleLabel(account, call, role)} assumed under a name new to its account`,
            cause: `a session of ${quoted(role)} assumed ${quoted(targetArn)} in ${where(account, call.principal.accountId, role)}: shape ${quoted(shape)} was never seen there (known: ${known.slice(0, 5).map((k) => quoted(k)).join(', ')})`,
            dedupKey: dedupKey(role, targetArn, false),
            evidence: evidenceOf(subject, { outcome: 'assumed', targetRoleArn: targetArn, targetRoleName: name, shape, knownShapes: known.slice(0, 5) }),
          }],
          updates,
        };
      },
    };
  },
};
