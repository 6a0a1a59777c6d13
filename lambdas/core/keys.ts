/**
 * Every key format of the state table, in one place: the detectors and the engine ask for keys
 * by meaning (`keys.sessionByAccessKey(key)`), never spell `session#key#…` themselves.
 *
 * Keys are interned: the strings of a key are built once per value (a role, an account, a
 * session) and shared, so the maps a batch goes through hash a key once and compare it by
 * identity after that (a key built afresh per call is hashed and compared character by
 * character in every map). The interning tables are bounded: a deployment watches a handful of
 * roles and a few thousand customers; the bounds only guard against a flood.
 */
import { createHash } from 'node:crypto';
import type { Enough, ReadKey } from './state';

/** A {@link ReadKey} with its key string computed once (the shape every hot-path key shares). */
function readKey(pk: string, sk: string, enough?: Enough): ReadKey {
  return { pk, sk, id: `${pk}\u0000${sk}`, enough };
}

/** Distinct values a {@link KeyNames} remembers before it starts again (a flood, not a vendor). */
const MAX_NAMES = 10_000;

/** The keys of items named after one value, each built once per value. */
class KeyNames {
  private readonly names = new Map<string, ReadKey>();

  constructor(
    private readonly pkPrefix: string,
    private readonly sk: string,
  ) {}

  of(value: string, enough?: Enough): ReadKey {
    let name = this.names.get(value);
    if (name === undefined) {
      name = readKey(`${this.pkPrefix}${value}`, this.sk);
      if (this.names.size >= MAX_NAMES) this.names.clear();
      this.names.set(value, name);
    }
    return enough === undefined ? name : { pk: name.pk, sk: name.sk, id: name.id, enough };
  }
}

const roleMeta = new KeyNames('role#', 'meta');
const byAccessKey = new KeyNames('session#key#', 'locations');
const bySessionArn = new KeyNames('session#arn#', 'locations');
const accountsOfExternalId = new KeyNames('xid#', 'accounts');
const externalIdsOfAccount = new KeyNames('account#', 'xids');
const shapesOfRole = new KeyNames('shapes#', 'session-name');
const requestsOfRole = new KeyNames('request#', 'session-request');
const clientsOfRole = new KeyNames('clients#', 'client');
/** Per monitored role, its target accounts' role-name keys (no string built per call to find one). */
const targetsOfRole = new Map<string, KeyNames>();

/** A role's call-volume keys for one window and day: the same for every call in them (a burst has thousands). */
export interface VolumeKeys {
  /** The window's counter (calls and target accounts). */
  readonly current: ReadKey;
  /** The previous window's counter (the sliding window's tail). */
  readonly previous: ReadKey;
  /** Today's peak, then each earlier day's back to the baseline's start. */
  readonly peaks: readonly ReadKey[];
  /** All of the above, one list per role and window (the engine reads a shared list once). */
  readonly read: readonly ReadKey[];
}

/** Each role's volume keys for the window and day last asked for (calls come in event-time order). */
const lastVolumeKeys = new Map<string, { readonly window: number; readonly day: number; readonly baselineDays: number; readonly keys: VolumeKeys }>();
const always: Enough = () => true;

/** A role's per-day keys (failed-assume's daily count): the same for every call of the day. */
export interface DayKeys {
  /** The day's counter (denied calls, their targets and sessions). */
  readonly current: ReadKey;
  /** Today's peak, then each earlier day's back to the baseline's start. */
  readonly peaks: readonly ReadKey[];
  /** All of the above, one shared list per role and day. */
  readonly read: readonly ReadKey[];
}

/** Each role's day keys for the day last asked for. */
const lastFailedDayKeys = new Map<string, { readonly day: number; readonly keys: DayKeys }>();

/** External-ID fingerprints by external ID (hashing each call's ID again costs more than the rest of its keys). */
const fingerprints = new Map<string, string>();

/** The state keys, by meaning. */
export const keys = {
  /** A monitored role's first-seen time (`role#<role>` / `meta`): written once, so any copy of it is enough. */
  roleMeta(role: string, enough?: Enough): ReadKey {
    return roleMeta.of(role, enough);
  },

  /**
   * A role's call-volume keys (`volume#<role>` / `w#<window>` and `peak#<day>`). Window counts
   * change with every call and are always read; peaks only rise, and a lower one makes the
   * baseline stricter, never blind, so any cached copy of a peak will do (an absent one too).
   */
  volume(role: string, window: number, day: number, baselineDays: number): VolumeKeys {
    const last = lastVolumeKeys.get(role);
    if (last !== undefined && last.window === window && last.day === day && last.baselineDays === baselineDays) return last.keys;
    const pk = `volume#${role}`;
    const current = readKey(pk, `w#${window}`);
    const previous = readKey(pk, `w#${window - 1}`);
    const peaks: ReadKey[] = [];
    for (let d = day; d >= day - baselineDays; d--) peaks.push(readKey(pk, `peak#${d}`, always));
    const volumeKeys = { current, previous, peaks, read: [current, previous, ...peaks] };
    if (lastVolumeKeys.size >= 256) lastVolumeKeys.clear();
    lastVolumeKeys.set(role, { window, day, baselineDays, keys: volumeKeys });
    return volumeKeys;
  },

  /** A caller's denied AssumeRole calls in one window (`failed#<caller>` / `w#<window>`). */
  failedWindow(caller: string, window: number): ReadKey {
    return readKey(`failed#${caller}`, `w#${window}`);
  },

  /**
   * A monitored role's denied calls per UTC day, whichever session made them (`failed-day#<role>` /
   * `d#<day>`, always read), and each day's learned peak (`peak#<day>`, today's first): peaks only
   * rise, so any cached copy will do, as for {@link keys.volume}.
   */
  failedDays(role: string, day: number, baselineDays: number): DayKeys {
    const last = lastFailedDayKeys.get(role);
    if (last !== undefined && last.day === day && last.keys.peaks.length === baselineDays + 1) return last.keys;
    const pk = `failed-day#${role}`;
    const current = readKey(pk, `d#${day}`);
    const peaks: ReadKey[] = [];
    for (let d = day; d >= day - baselineDays; d--) peaks.push(readKey(pk, `peak#${d}`, always));
    const dayKeys = { current, peaks, read: [current, ...peaks] };
    if (lastFailedDayKeys.size >= 256) lastFailedDayKeys.clear();
    lastFailedDayKeys.set(role, { day, keys: dayKeys });
    return dayKeys;
  },

  /** A session's locations (and its calls from outside the allow-list until it is seen at home), by its access key (`session#key#<key>` / `locations`). */
  sessionByAccessKey(accessKeyId: string, enough?: Enough): ReadKey {
    return byAccessKey.of(accessKeyId, enough);
  },

  /** The same, by its role-session ARN (`session#arn#<arn>` / `locations`): instance credentials rotate keys, not names. */
  sessionByArn(sessionArn: string, enough?: Enough): ReadKey {
    return bySessionArn.of(sessionArn, enough);
  },

  /** The accounts an external ID was sent to (`xid#<fingerprint>` / `accounts`). */
  externalIdAccounts(fingerprint: string, enough?: Enough): ReadKey {
    return accountsOfExternalId.of(fingerprint, enough);
  },

  /** The external IDs an account was assumed with (`account#<account>` / `xids`). */
  accountExternalIds(account: string, enough?: Enough): ReadKey {
    return externalIdsOfAccount.of(account, enough);
  },

  /** A role's learned session-name shapes (`shapes#<role>` / `session-name`). */
  sessionNameShapes(role: string, enough?: Enough): ReadKey {
    return shapesOfRole.of(role, enough);
  },

  /** What a role's sessions asked STS for: durations and session policies (`request#<role>` / `session-request`). */
  sessionRequests(role: string, enough?: Enough): ReadKey {
    return requestsOfRole.of(role, enough);
  },

  /** The clients a monitored role's sessions were seen with (`clients#<role>` / `client`). */
  roleClients(role: string, enough?: Enough): ReadKey {
    return clientsOfRole.of(role, enough);
  },

  /** The role-name shapes a role assumed in one target account (`targets#<role>#<account>` / `role-names`). */
  targetRoleNames(role: string, account: string, enough?: Enough): ReadKey {
    let names = targetsOfRole.get(role);
    if (names === undefined) {
      names = new KeyNames(`targets#${role}#`, 'role-names');
      if (targetsOfRole.size >= 256) targetsOfRole.clear();
      targetsOfRole.set(role, names);
    }
    return names.of(account, enough);
  },
} as const;

/**
 * An external ID's fingerprint: external IDs are shared secrets, so state and alerts hold this,
 * never the value (the first 64 bits of its SHA-256, in hex).
 */
export function externalIdFingerprint(externalId: string): string {
  let hash = fingerprints.get(externalId);
  if (hash === undefined) {
    hash = createHash('sha256').update(externalId).digest('hex').slice(0, 16);
    if (fingerprints.size >= MAX_NAMES) fingerprints.clear();
    fingerprints.set(externalId, hash);
  }
  return hash;
}

/** Partition-key prefixes of the alert ledger's items: a slot per dedup key, a pointer item per event. */
export const LEDGER_KEYS = {
  /** `alert#<dedupKey>` / `slot`: the window's alert, its lease, whether it was sent. */
  slotPrefix: 'alert#',
  slotSort: 'slot',
  /** `alertref#<eventId>` / `slots`: the slots reserved for the event's alerts. */
  pointerPrefix: 'alertref#',
  pointerSort: 'slots',
} as const;
