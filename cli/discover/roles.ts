/**
 * The outbound roles (`monitoredRoleArns`) and who assumes them (`expectedCallerArns`): a role
 * is an outbound one when its sessions assume roles in other accounts, day after day; a caller
 * is expected when it assumed one, day after day, and is no person.
 */
import { ARN_PATTERN, glob } from '../../lambdas/core/arn-patterns';
import { roleName } from '../../lambdas/detectors/detector';
import type { Collector, RoleOut } from './collect';
import { code, count, prose, table } from './markdown';
import { Seen } from './seen';
import { isOneOff, oneOffRule, SEEN_HEADER, seenCells, type LeftOut, type Period, type Section } from './section';

/** The roles proposed for monitoring, with the section saying why. */
export interface RolesProposal extends Section {
  /** The outbound roles found (proposed ones only). */
  readonly monitored: readonly RoleOut[];
  /** Whether a role ARN is covered by the proposed `monitoredRoleArns`. */
  readonly covers: (arn: string) => boolean;
}

/** A literal ARN a configuration can hold: the form `ARN_PATTERN` checks, and no wildcard (IAM names have none). */
export function isLiteralArn(arn: string): boolean {
  return ARN_PATTERN.test(arn) && !/[*?]/.test(arn);
}

/** Separators a shared name prefix may end at. */
const SEPARATOR = /[-_./]/;
/** A shared prefix shorter than this (before its separator) is no clear prefix. */
const MIN_PREFIX = 3;

/** Proposes `monitoredRoleArns` from the roles whose sessions assume roles in other accounts. */
export function proposeRoles(c: Collector, period: Period): RolesProposal {
  const candidates = [...c.out.values()].filter((r) => r.crossAccount.calls > 0).sort((x, y) => y.crossAccount.calls - x.crossAccount.calls);
  const leftOut: LeftOut[] = [];
  const monitored: RoleOut[] = [];
  const verdicts = new Map<string, string>();
  for (const role of candidates) {
    const s = role.crossAccount;
    let why: string | null = null;
    if (!isLiteralArn(role.arn)) why = 'not a role ARN a configuration can name';
    else if (c.config.isHumanRole(role.arn)) why = 'an IAM Identity Center (SSO) role: its sessions are people, not the backend';
    else if (s.denied === s.calls) why = 'every one of its cross-account calls was refused';
    else if (isOneOff(s, period)) why = `cross-account calls ${oneOffRule(period)}`;
    verdicts.set(role.arn, why === null ? 'proposed' : `left out: ${why}`);
    if (why === null) monitored.push(role);
    else leftOut.push({ what: 'outbound role', value: role.arn, why, seen: s });
  }
  const rows = candidates.map((r) => [code(r.arn), count(r.targets.items.size), ...seenCells(r.crossAccount), prose(verdicts.get(r.arn)!)]);
  let markdown = `## Monitored roles (\`monitoredRoleArns\`)\n\nA role is an outbound integration role when its sessions assume roles in other accounts (refused calls included), not as a one-off (${oneOffRule(period)}), not every time refused, and it is no one's SSO role. Every role whose sessions did so at all:\n\n${table(['role', 'target accounts', ...SEEN_HEADER, 'verdict'], rows, '_none: no role session assumed a role in another account_')}\n`;
  if (monitored.length === 0) return { config: {}, markdown, leftOut, monitored, covers: () => false };
  const wildcard = sharedPrefix(monitored, candidates, [...c.roles.items.keys()]);
  const value = wildcard ? [wildcard.pattern] : monitored.map((r) => r.arn);
  markdown += wildcard
    ? `Proposed: the wildcard ${code(wildcard.pattern)}, since the ${monitored.length} roles share the prefix ${code(wildcard.prefix)} and no other role seen in the logs has it${wildcard.alsoCovers.length > 0 ? ` (it also covers ${wildcard.alsoCovers.map((a) => code(a)).join(', ')}, left out above: their calls will be judged as an outbound role's)` : ''}. A new regional role with the prefix is watched from its first call. List the ARNs one by one instead if a role of another purpose may get such a name.\n`
    : `Proposed: the ${monitored.length === 1 ? 'role' : `${monitored.length} roles`} by exact ARN${monitored.length > 1 ? ' (they share no clear prefix that no other role seen has)' : ''}.\n`;
  return {
    config: { monitoredRoleArns: value },
    markdown,
    leftOut,
    monitored,
    covers: wildcard ? glob(wildcard.pattern) : (arn) => value.includes(arn),
    summary: `${monitored.length} outbound role${monitored.length === 1 ? '' : 's'}: ${value.join(', ')}`,
  };
}

/**
 * A wildcard for the proposed roles when they share an account and a name prefix that ends at a
 * separator (`outbound-`) and no role seen in the logs that is not an outbound candidate has it.
 */
function sharedPrefix(monitored: readonly RoleOut[], candidates: readonly RoleOut[], seenRoles: readonly string[]): { pattern: string; prefix: string; alsoCovers: string[] } | null {
  if (monitored.length < 2) return null;
  const base = (arn: string): string => arn.slice(0, arn.indexOf(':role/') + ':role/'.length);
  const b = base(monitored[0]!.arn);
  if (!b.endsWith(':role/') || monitored.some((r) => base(r.arn) !== b)) return null;
  const names = monitored.map((r) => r.arn.slice(b.length));
  let common = names[0]!;
  for (const n of names) while (!n.startsWith(common)) common = common.slice(0, -1);
  let end = common.length;
  while (end > 0 && !SEPARATOR.test(common[end - 1]!)) end -= 1;
  const prefix = common.slice(0, end);
  if (prefix.length - 1 < MIN_PREFIX) return null;
  const pattern = `${b}${prefix}*`;
  const covered = glob(pattern);
  const outbound = new Set(candidates.map((r) => r.arn));
  if (seenRoles.some((arn) => covered(arn) && !outbound.has(arn))) return null;
  const proposed = new Set(monitored.map((r) => r.arn));
  return { pattern, prefix, alsoCovers: candidates.filter((r) => covered(r.arn) && !proposed.has(r.arn)).map((r) => r.arn) };
}

/** One caller of the monitored roles, across them. */
interface CallerRow {
  readonly id: string;
  readonly kind: string;
  readonly seen: Seen;
  readonly reasons: Set<string>;
  readonly roles: Set<string>;
}

/** Proposes `expectedCallerArns`: who assumed the monitored roles, day after day, and is no person. */
export function proposeCallers(c: Collector, roles: RolesProposal, period: Period): Section {
  const callers = new Map<string, CallerRow>();
  for (const role of roles.monitored) {
    for (const caller of c.into.get(role.arn)?.callers.items.values() ?? []) {
      let row = callers.get(caller.id);
      if (!row) callers.set(caller.id, (row = { id: caller.id, kind: caller.kind, seen: new Seen(), reasons: new Set(), roles: new Set() }));
      row.seen.merge(caller.seen);
      for (const r of caller.humanReasons) row.reasons.add(r);
      row.roles.add(roleName(role.arn));
    }
  }
  const leftOut: LeftOut[] = [];
  const proposed: string[] = [];
  const rows: string[][] = [];
  for (const row of [...callers.values()].sort((x, y) => y.seen.calls - x.seen.calls)) {
    let why: string | null = null;
    let verdict = 'proposed';
    if (row.kind === 'service') verdict = 'an AWS service acting on its own: the engine does not judge its calls';
    else if (row.reasons.size > 0) why = `a person: ${[...row.reasons].join('; ')}`;
    else if (row.seen.denied === row.seen.calls) why = 'every one of its calls was refused';
    else if (!isLiteralArn(row.id)) why = 'not an ARN a configuration can name';
    else if (isOneOff(row.seen, period)) why = `a one-off caller: ${oneOffRule(period)}`;
    if (why !== null) {
      verdict = `left out: ${why}`;
      leftOut.push({ what: 'caller', value: row.id, why, seen: row.seen });
    } else if (row.kind !== 'service') proposed.push(row.id);
    rows.push([code(row.id), prose(row.kind), [...row.roles].map((r) => code(r)).join(', '), ...seenCells(row.seen), prose(verdict)]);
  }
  let markdown = `## Callers (\`expectedCallerArns\`)\n\nWho assumed the monitored roles. A role session is named by its role (each session has an ARN of its own), a user by its ARN. A caller is expected when it is no person (an IAM user, root, a federated or SSO session, console credentials, an interactive client such as the AWS CLI, or an e-mail address as session name: see human-principal) and its calls into them were not a one-off (${oneOffRule(period)}) nor all refused. Each is listed by its exact ARN, never a wildcard: a caller is who may reach every customer.\n\n${table(['caller', 'kind', 'assumed', ...SEEN_HEADER, 'verdict'], rows)}\n`;
  if (proposed.length === 0) {
    markdown += 'Proposed: nothing. With `expectedCallerArns` empty, unexpected-caller stays silent; find the backend\'s role and list it.\n';
    return { config: {}, markdown, leftOut, summary: 'no expected caller found: unexpected-caller will stay silent' };
  }
  return { config: { expectedCallerArns: proposed }, markdown, leftOut, summary: `${proposed.length} expected caller${proposed.length === 1 ? '' : 's'}` };
}

/** Proposes `requireExternalId` from how many cross-account assumptions carried an external ID. */
export function proposeExternalIds(roles: RolesProposal, period: Period): Section {
  let withId = 0;
  let without = 0;
  const leftOut: LeftOut[] = [];
  const rows: string[][] = [];
  const accountsById = new Map<string, Set<string>>();
  const changed: string[][] = [];
  for (const role of roles.monitored) {
    withId += role.withExternalId;
    without += role.withoutExternalId;
    const total = role.withExternalId + role.withoutExternalId;
    rows.push([code(role.arn), count(total), count(role.withExternalId), total === 0 ? '-' : role.withoutExternalId === 0 ? '100%' : `${Math.min(99.99, (100 * role.withExternalId) / total).toFixed(2)}%`, count(role.missingExternalId.items.size)]);
    for (const [account, s] of role.missingExternalId.items) leftOut.push({ what: 'assumption without external ID', value: `${account} (by ${roleName(role.arn)})`, why: 'a customer role assumed without an external ID: the customer\'s trust policy does not require one', seen: s });
    for (const [account, ids] of role.externalIds.items) {
      for (const id of ids.keys()) accountsById.set(id, (accountsById.get(id) ?? new Set()).add(account));
      if (ids.size > 1) {
        const history = [...ids.entries()].sort(([, x], [, y]) => x.first - y.first);
        changed.push([code(account), code(roleName(role.arn)), history.map(([id, s]) => `${code(id)} ${new Date(s.first).toISOString().slice(0, 10)}…${new Date(s.last).toISOString().slice(0, 10)}`).join(' then ')]);
      }
    }
  }
  const shared = [...accountsById.entries()].filter(([, accounts]) => accounts.size > 1).map(([id, accounts]) => [code(id), [...accounts].sort().map((a) => code(a)).join(', ')]);
  leftOut.push(...foreignIds(roles.monitored, period));
  const require = without === 0 && withId > 0;
  const markdown =
    `## External IDs (\`requireExternalId\`)\n\nSuccessful assumptions into other accounts by the monitored roles, and how many carried an external ID (only fingerprints are shown: the first 16 hex digits of its SHA-256, as the engine keeps them). \`requireExternalId\` is proposed true only when every one did.\n\n${table(['role', 'cross-account assumptions', 'with an external ID', 'coverage', 'accounts without'], rows)}\n` +
    `Proposed: \`requireExternalId\` ${require ? 'true (coverage is complete)' : `false: ${count(without)} assumption${without === 1 ? '' : 's'} carried none (see "Left out"); once the backend always sends one, set it to true`}.\n\n` +
    `Accounts sharing one external ID (a customer with several accounts; the engine learns these in its learning period, and a second account taking an ID later alerts as tenant confusion):\n\n${table(['external ID fingerprint', 'accounts'], shared)}\n` +
    `Accounts whose external ID changed in the period (a customer re-installed the vendor's stack, or someone else's ID was sent). Without a customer registry (\`customerRegistry\`) each change alerts once (external-id, medium); with one that lists the new ID, it is quiet:\n\n${table(['account', 'role', 'fingerprints, first…last seen'], changed)}\n`;
  return { config: { requireExternalId: require }, markdown, leftOut, summary: `external IDs on ${count(withId)} of ${count(withId + without)} cross-account assumptions: requireExternalId ${require}` };
}

/** The people and interactive tools seen in the account (no key is proposed from them). */
export function peopleSection(c: Collector, roles: RolesProposal): Section {
  const rows = [...c.people.items.values()]
    .sort((x, y) => y.seen.calls - x.seen.calls)
    .map((p) => {
      const touched = [...p.assumed].filter((arn) => roles.covers(arn));
      return [code(p.id), prose([...p.kinds].join('; ')), ...seenCells(p.seen), [...p.clients].map((f) => code(f)).join(', '), touched.length > 0 ? `**yes**: ${touched.map((a) => code(roleName(a))).join(', ')}` : 'no'];
    });
  const more = c.people.overflow > 0 ? `\n${count(c.people.overflow)} more calls by people beyond the first ${count(c.people.items.size)} were not itemised.\n` : '';
  return {
    config: {},
    markdown: `## People and tools\n\nIAM users, root, federated and SSO sessions, console credentials and interactive clients (the AWS CLI, PowerShell, the console, a browser) seen in the period, in AssumeRole calls and in role sessions' calls (CloudTrail records of IAM users' other calls are not read). Whoever assumed a monitored role is also under "Callers".\n\n${table(['principal', 'why a person or tool', ...SEEN_HEADER, 'clients', 'assumed a monitored role'], rows)}${more}\n`,
    leftOut: [],
  };
}

/**
 * External IDs sent to an account once that belong to another: an ID used for several accounts
 * all along is one customer's accounts, but one that reaches a second account on a day or two,
 * while that account has an ID of its own, is what tenant confusion looks like.
 */
function foreignIds(monitored: readonly RoleOut[], period: Period): LeftOut[] {
  const byId = new Map<string, Map<string, Seen>>();
  for (const role of monitored) {
    for (const [account, ids] of role.externalIds.items) {
      for (const [id, s] of ids) {
        const accounts = byId.get(id) ?? new Map<string, Seen>();
        byId.set(id, accounts);
        accounts.set(account, (accounts.get(account) ?? new Seen()).merge(s));
      }
    }
  }
  const usual = (account: string, id: string): boolean => [...byId.entries()].some(([other, accounts]) => other !== id && accounts.has(account) && !isOneOff(accounts.get(account)!, period));
  const out: LeftOut[] = [];
  for (const [id, accounts] of byId) {
    if (accounts.size < 2) continue;
    for (const [account, s] of accounts) {
      if (!isOneOff(s, period) || !usual(account, id)) continue;
      const owners = [...accounts.keys()].filter((a) => a !== account);
      out.push({ what: 'external ID of another account', value: `${id} sent to ${account}`, why: `the external ID of ${owners.slice(0, 3).join(', ')} used for ${account}, which has one of its own: tenant confusion, or a misconfigured customer`, seen: s });
    }
  }
  return out;
}
