/**
 * What `discover` gathers from a period of CloudTrail logs, one parsed call at a time: per role,
 * what its sessions did (the roles they assumed, in which accounts, from where, under which
 * names, through which region) and who assumed it (callers, addresses, names); the people and
 * tools in the account. Which roles are the outbound ones is only known at the end, so every
 * role is followed; a role that assumes nothing cross-account costs a few small maps.
 *
 * Memory stays bounded: counts go into maps capped per role (attacker-chosen strings, such as
 * session names and addresses, at a few thousand distinct values; accounts higher), and only
 * the AssumeRole calls of each role are kept as numbers (time and an index), for the windows.
 */
import { externalIdFingerprint } from '../../lambdas/core/keys';
import { accountOf } from '../../lambdas/core/parse';
import type { CompiledConfig } from '../../lambdas/core/config';
import type { AssumeRoleCall, ParsedCall } from '../../lambdas/core/types';
import { clientFamily } from '../../lambdas/core/user-agent';
import { humanReasons } from '../../lambdas/detectors/detector';
import { addName, shapeKeyOf as nameKeyOf, type NameShape } from './names';
import { Capped, Seen } from './seen';

/**
 * Denied, as failed-assume counts a call (its `DENIED`): AccessDenied and the like, not a
 * throttle or a malformed request.
 */
const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized/i;

/** Distinct attacker-chosen values (names, addresses, callers, agents) itemised per map. */
export const MAX_ITEMS = 5_000;
/** Refused calls into one role kept for the windows (someone hammering a role costs no more). */
const MAX_DENIED_INTO = 1_000_000;
/** Distinct accounts itemised per role (a vendor may have tens of thousands of customers). */
export const MAX_ACCOUNTS = 200_000;
/**
 * AssumeRole effects remembered to drop CloudTrail's duplicate deliveries (about 80 bytes each):
 * a bastion account's month is well under it; past it, a duplicate is counted twice.
 */
const MAX_EFFECTS = 2_000_000;

/** A source address (or service name) and the record regions it was seen in. */
export interface AddressSeen {
  readonly seen: Seen;
  readonly regions: Set<string>;
}

/** A role session's AssumeRole calls as numbers: time, target account (index) and session (index). */
export interface Calls {
  readonly times: number[];
  readonly accounts: number[];
  readonly sessions: number[];
}

const calls = (): Calls => ({ times: [], accounts: [], sessions: [] });
const addressSeen = (): AddressSeen => ({ seen: new Seen(), regions: new Set() });
const seen = (): Seen => new Seen();

/** What the sessions of one role did. */
export interface RoleOut {
  readonly arn: string;
  readonly account: string | null;
  /** Every call of its sessions (its first is where the engine's learning period starts). */
  readonly any: Seen;
  /** AssumeRole calls into another account, refused ones included. */
  readonly crossAccount: Seen;
  /** Target accounts of those calls. */
  readonly targets: Capped<Seen>;
  /** Successful cross-account calls with and without an external ID. */
  withExternalId: number;
  withoutExternalId: number;
  /** Target accounts assumed without an external ID. */
  readonly missingExternalId: Capped<Seen>;
  /** Target account → external-ID fingerprint → when (successful cross-account calls). */
  readonly externalIds: Capped<Map<string, Seen>>;
  /** Session names its sessions asked for, by shape. */
  readonly names: Capped<NameShape>;
  /** Record regions and STS host headers of its AssumeRole calls. */
  readonly regions: Capped<Seen>;
  readonly endpoints: Capped<Seen>;
  /** Source addresses of all its sessions' calls. */
  readonly addresses: Capped<AddressSeen>;
  /** Successful AssumeRole calls (any account) and refused ones, for the windows. */
  readonly succeeded: Calls;
  readonly denied: Calls;
}

/** Someone who assumed (or tried to assume) a role. */
export interface CallerSeen {
  readonly id: string;
  /** `role`, `user`, `root`, `federated`, `service`, `account`, `unknown` (see {@link callerOf}). */
  kind: string;
  readonly seen: Seen;
  /** Why the caller looks like a person (see human-principal), across its calls. */
  readonly humanReasons: Set<string>;
}

/** Who assumed one role, from where, under which names. */
export interface RoleIn {
  readonly arn: string;
  /** Every AssumeRole into it. */
  readonly any: Seen;
  readonly callers: Capped<CallerSeen>;
  readonly names: Capped<NameShape>;
  readonly regions: Capped<Seen>;
  readonly endpoints: Capped<Seen>;
  readonly addresses: Capped<AddressSeen>;
  /** Refused calls into the role, by caller (index), for the windows. */
  readonly denied: Calls;
}

/** A person or an interactive tool seen in the account. */
export interface PersonSeen {
  readonly id: string;
  readonly kinds: Set<string>;
  readonly seen: Seen;
  readonly clients: Set<string>;
  /** Roles it assumed (or tried to). */
  readonly assumed: Set<string>;
}

/** Interactive clients, by the SDK family of their user agent. */
const INTERACTIVE_FAMILIES = new Set(['aws-cli', 'aws-powershell', 'console', 'browser']);

/** Everything gathered, and the totals of what was read. */
export class Collector {
  readonly out = new Map<string, RoleOut>();
  readonly into = new Map<string, RoleIn>();
  readonly people = new Capped<PersonSeen>(MAX_ITEMS, (id) => ({ id, kinds: new Set(), seen: new Seen(), clients: new Set(), assumed: new Set() }));
  /** Every role ARN seen, as caller, target or session issuer (a wildcard must not cover others). */
  readonly roles = new Capped<true>(MAX_ACCOUNTS, () => true);
  /** Index tables for the numeric call lists. */
  readonly accountIndex = new Interner();
  readonly sessionIndex = new Interner();
  assumeCalls = 0;
  sessionCalls = 0;
  duplicates = 0;
  first = Infinity;
  last = -Infinity;
  private readonly effects = new Set<string>();

  /** `config` only says who is a person (humanReasons reads its human roles). */
  constructor(readonly config: CompiledConfig) {}

  /** Takes one parsed call. */
  add(call: ParsedCall): void {
    if (call.kind === 'assume-role') {
      // Both copies of a cross-account call, and a redelivered one, are one call (as the engine counts).
      const effect = call.sharedEventId ? `shared:${call.sharedEventId}` : call.eventId;
      if (this.effects.has(effect)) {
        this.duplicates += 1;
        return;
      }
      if (this.effects.size < MAX_EFFECTS) this.effects.add(effect);
      this.assumeCalls += 1;
    } else {
      this.sessionCalls += 1;
    }
    const t = call.eventTime;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    const issuer = call.principal.type === 'AssumedRole' ? call.principal.sessionIssuerArn : null;
    if (issuer) this.roles.get(issuer);
    this.person(call);
    if (issuer) this.session(issuer, call);
    if (call.kind === 'assume-role' && call.roleArn) {
      this.roles.get(call.roleArn);
      this.assumed(call.roleArn, call);
    }
  }

  /** A call made by a session of `arn`. */
  private session(arn: string, call: ParsedCall): void {
    const role = this.roleOut(arn);
    const t = call.eventTime;
    role.any.add(t);
    const address = role.addresses.get(call.source.text);
    if (address) {
      address.seen.add(t);
      address.regions.add(call.awsRegion);
    }
    if (call.kind !== 'assume-role') return;
    const denied = call.errorCode !== null && DENIED.test(call.errorCode);
    role.regions.get(call.awsRegion)?.add(t, denied);
    if (call.hostHeader) role.endpoints.get(call.hostHeader)?.add(t, denied);
    if (call.roleSessionName !== null) {
      const shape = role.names.get(nameKeyOf(call.roleSessionName));
      if (shape) addName(shape, call.roleSessionName, t);
    }
    const target = call.roleAccountId;
    const crossAccount = target !== null && target !== role.account;
    // The windows are an outbound role's: a role that never assumed into another account keeps
    // no list (its first cross-account call starts it; what came before is its own account's).
    if (crossAccount || role.crossAccount.calls > 0) {
      const account = target === null ? -1 : this.accountIndex.of(target);
      const session = this.sessionIndex.of(call.principal.arn ?? call.principal.accessKeyId ?? arn);
      if (call.errorCode === null) push(role.succeeded, t, account, session);
      else if (denied) push(role.denied, t, account, session);
    }
    if (!crossAccount) return;
    role.crossAccount.add(t, denied);
    role.targets.get(target)?.add(t, denied);
    if (call.errorCode !== null) return;
    if (call.externalId === null) {
      role.withoutExternalId += 1;
      role.missingExternalId.get(target)?.add(t);
      return;
    }
    role.withExternalId += 1;
    const ids = role.externalIds.get(target);
    if (ids === null) return;
    // Only a fingerprint, as the engine keeps it: an external ID is the customer's proof of tenant.
    const fingerprint = externalIdFingerprint(call.externalId);
    let s = ids.get(fingerprint);
    if (s === undefined && ids.size < MAX_ITEMS) ids.set(fingerprint, (s = new Seen()));
    s?.add(t);
  }

  /** An AssumeRole into `arn`. */
  private assumed(arn: string, call: AssumeRoleCall): void {
    const role = this.roleIn(arn);
    const t = call.eventTime;
    role.any.add(t);
    const denied = call.errorCode !== null && DENIED.test(call.errorCode);
    const { id, kind } = callerOf(call);
    const caller = role.callers.get(id);
    if (caller) {
      if (caller.kind === 'unknown') caller.kind = kind;
      caller.seen.add(t, call.errorCode !== null);
      for (const reason of humanReasons(call, this.config)) caller.humanReasons.add(reason);
    }
    const address = role.addresses.get(call.source.text);
    if (address) {
      address.seen.add(t);
      address.regions.add(call.awsRegion);
    }
    role.regions.get(call.awsRegion)?.add(t, denied);
    if (call.hostHeader) role.endpoints.get(call.hostHeader)?.add(t, denied);
    if (call.roleSessionName !== null) {
      const shape = role.names.get(nameKeyOf(call.roleSessionName));
      if (shape) addName(shape, call.roleSessionName, t);
    }
    if (denied && role.denied.times.length < MAX_DENIED_INTO) push(role.denied, t, -1, this.sessionIndex.of(call.principal.arn ?? id));
  }

  /** People and interactive tools, whatever they touched. */
  private person(call: ParsedCall): void {
    const p = call.principal;
    const kinds: string[] = [];
    if (p.type === 'IAMUser') kinds.push('IAM user');
    if (p.type === 'Root') kinds.push('root user');
    if (call.kind === 'assume-role' && call.eventName !== 'AssumeRole') kinds.push(`federated (${call.eventName})`);
    else if (p.type === 'SAMLUser' || p.type === 'WebIdentityUser' || p.type === 'FederatedUser') kinds.push(`federated (${p.type})`);
    if (p.sessionIssuerArn !== null && this.config.isHumanRole(p.sessionIssuerArn)) kinds.push('SSO or human role');
    if (p.consoleCredentials) kinds.push('console credentials');
    const family = clientFamily(call.userAgent);
    if (INTERACTIVE_FAMILIES.has(family)) kinds.push(`interactive client (${family})`);
    if (kinds.length === 0) return;
    const id = call.kind === 'assume-role' && call.eventName !== 'AssumeRole' ? (call.providerArn ?? p.arn ?? p.type) : (p.arn ?? p.userName ?? p.type);
    const person = this.people.get(id);
    if (!person) return;
    for (const k of kinds) person.kinds.add(k);
    person.seen.add(call.eventTime, call.errorCode !== null);
    if (person.clients.size < 16) person.clients.add(family);
    if (call.kind === 'assume-role' && call.roleArn && person.assumed.size < 16) person.assumed.add(call.roleArn);
  }

  private roleOut(arn: string): RoleOut {
    let role = this.out.get(arn);
    if (role === undefined) {
      role = {
        arn,
        account: accountOf(arn),
        any: new Seen(),
        crossAccount: new Seen(),
        targets: new Capped(MAX_ACCOUNTS, seen),
        withExternalId: 0,
        withoutExternalId: 0,
        missingExternalId: new Capped(MAX_ACCOUNTS, seen),
        externalIds: new Capped(MAX_ACCOUNTS, () => new Map()),
        names: new Capped(MAX_ITEMS, (key) => ({ key, tokens: null, seen: new Seen(), examples: [] })),
        regions: new Capped(MAX_ITEMS, seen),
        endpoints: new Capped(MAX_ITEMS, seen),
        addresses: new Capped(MAX_ITEMS, addressSeen),
        succeeded: calls(),
        denied: calls(),
      };
      this.out.set(arn, role);
    }
    return role;
  }

  private roleIn(arn: string): RoleIn {
    let role = this.into.get(arn);
    if (role === undefined) {
      role = {
        arn,
        any: new Seen(),
        callers: new Capped(MAX_ITEMS, (id) => ({ id, kind: 'unknown', seen: new Seen(), humanReasons: new Set() })),
        names: new Capped(MAX_ITEMS, (key) => ({ key, tokens: null, seen: new Seen(), examples: [] })),
        regions: new Capped(MAX_ITEMS, seen),
        endpoints: new Capped(MAX_ITEMS, seen),
        addresses: new Capped(MAX_ITEMS, addressSeen),
        denied: calls(),
      };
      this.into.set(arn, role);
    }
    return role;
  }
}

/** Strings numbered in order of first use (the call lists hold numbers). */
export class Interner {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  /** The number of `value`. */
  of(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

function push(list: Calls, t: number, account: number, session: number): void {
  list.times.push(t);
  list.accounts.push(account);
  list.sessions.push(session);
}

/**
 * Who assumed a role, as `expectedCallerArns` names it: a role session by its role (the session
 * ARN changes with every session), a user by its ARN, a federated call by its provider.
 */
export function callerOf(call: AssumeRoleCall): { id: string; kind: string } {
  const p = call.principal;
  if (call.eventName !== 'AssumeRole') return { id: call.providerArn ?? p.arn ?? `${p.type}`, kind: 'federated' };
  switch (p.type) {
    case 'AssumedRole':
      return { id: p.sessionIssuerArn ?? p.arn ?? 'AssumedRole', kind: 'role' };
    case 'IAMUser':
      return { id: p.arn ?? p.userName ?? 'IAMUser', kind: 'user' };
    case 'Root':
      return { id: p.arn ?? `root:${p.accountId ?? ''}`, kind: 'root' };
    case 'AWSService':
      return { id: p.invokedBy ?? call.source.text, kind: 'service' };
    case 'AWSAccount':
      return { id: p.accountId ? `arn:aws:iam::${p.accountId}:root` : 'AWSAccount', kind: 'account' };
    default:
      return { id: p.arn ?? p.type, kind: p.type === 'FederatedUser' || p.type === 'SAMLUser' || p.type === 'WebIdentityUser' ? 'federated' : 'unknown' };
  }
}
