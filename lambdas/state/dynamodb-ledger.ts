/**
 * {@link DynamoLedger}: the DynamoDB adapter of the alert ledger (suppression and outbox), in the
 * one table of `schema.ts`. It has the observable semantics of `MemoryLedger`: per dedup key a
 * slot item holding the window's alert and its lease, per event a pointer item to its slots.
 * Every decision is a single conditional PutItem/UpdateItem on the slot, never a
 * read-modify-write, so racing Lambda instances agree.
 */
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ALERT_LEASE_MS, type AlertLedger, type AlertRef, type AlertReservation, type ReachedRef, type ReservationOutcome } from '../core/ledger';
import { LEDGER_KEYS } from '../core/keys';
import { TTL_ATTRIBUTE } from '../core/state';
import { DAY_MS } from '../core/time';
import {
  backoff,
  batchGetAll,
  DynamoAdapter,
  getItem,
  isConditionalCheckFailed,
  itemKeyString,
  MAX_PK_BYTES,
  metered,
  numberOf,
  prefixed,
  settleAll,
  type Item,
} from './dynamodb-adapter';
import { PARTITION_KEY, SORT_KEY } from './schema';

/** The ledger's slot for a dedup key, as stored. */
interface Slot {
  readonly alertId: string;
  readonly dedupKey: string;
  readonly eventTime: number;
  readonly windowMs: number;
  readonly payload: string;
  readonly eventIds: readonly string[];
  readonly owner: string;
  readonly leaseUntil: number;
  readonly sentId: string | null;
  /** Destinations that took the alert while it is unsent elsewhere. */
  readonly reached: readonly string[];
}

/** Slot attributes (fixed names; always used through placeholders: `owner` is a reserved word). */
const SLOT = {
  alertId: 'alertId',
  dedupKey: 'dedupKey',
  eventTime: 'eventTime',
  windowMs: 'windowMs',
  payload: 'payload',
  eventIds: 'eventIds',
  owner: 'owner',
  leaseUntil: 'leaseUntil',
  sentId: 'sentId',
  reached: 'reached',
} as const;

/** Expression placeholders for the slot's attributes. */
const SLOT_NAMES = { '#sentId': SLOT.sentId, '#alertId': SLOT.alertId, '#owner': SLOT.owner, '#lease': SLOT.leaseUntil, '#reached': SLOT.reached } as const;

/** The pointer item's set of slot partition keys. */
const POINTER_SLOTS = 'slots';


/** How long pointers (event → alert) live: past SQS's 14-day retention, so any redelivery finds them. */
const POINTER_TTL_MS = 15 * DAY_MS;
/**
 * Slots live a day past their window, and at least as long as the pointers: an unsent alert
 * must still be there when the last possible redelivery of its events asks for it.
 */
const SLOT_TTL_AFTER_WINDOW_MS = DAY_MS;
const SLOT_MIN_TTL_MS = POINTER_TTL_MS;

function slotKey(dedupKey: string): Item {
  return { [PARTITION_KEY]: { S: prefixed(LEDGER_KEYS.slotPrefix, dedupKey, MAX_PK_BYTES) }, [SORT_KEY]: { S: LEDGER_KEYS.slotSort } };
}

/** An event's pointer item: the partition keys of the slots reserved for its alerts. */
function pointerKey(eventId: string): Item {
  return { [PARTITION_KEY]: { S: prefixed(LEDGER_KEYS.pointerPrefix, eventId, MAX_PK_BYTES) }, [SORT_KEY]: { S: LEDGER_KEYS.pointerSort } };
}

function slotOf(item: Item): Slot {
  const s = (name: string): string => item[name]?.S ?? '';
  const n = (name: string): number => numberOf(item[name]) ?? 0;
  return {
    alertId: s(SLOT.alertId),
    dedupKey: s(SLOT.dedupKey),
    eventTime: n(SLOT.eventTime),
    windowMs: n(SLOT.windowMs),
    payload: s(SLOT.payload),
    eventIds: (item[SLOT.eventIds]?.L ?? []).map((v) => v.S ?? ''),
    owner: s(SLOT.owner),
    leaseUntil: n(SLOT.leaseUntil),
    sentId: item[SLOT.sentId]?.S ?? null,
    reached: [...(item[SLOT.reached]?.SS ?? [])].sort(),
  };
}

/** The slot holds no alert within this reservation's window (as `MemoryLedger` decides). */
function windowFree(slot: Slot, r: AlertReservation): boolean {
  return Math.abs(r.eventTime - slot.eventTime) >= r.windowMs;
}

/**
 * {@link AlertLedger} on DynamoDB: per dedup key one slot item (`alert#<dedupKey>`/`slot`)
 * holding the window's alert, its lease and whether it was sent; per event a pointer item
 * (`alertref#<eventId>`/`slots`, the set of its slots) so `pending` finds the alerts of
 * redelivered events with one BatchGetItem.
 * Every decision is a conditional write on the slot, so racing invocations agree.
 */
export class DynamoLedger extends DynamoAdapter implements AlertLedger {
  /**
   * Reserves in parallel across dedup keys; reservations sharing a dedup key go in order, as
   * `MemoryLedger` takes them (a later one may open the next window).
   */
  async reserve(reservations: readonly AlertReservation[], owner: string, nowMs: number, leaseMs = ALERT_LEASE_MS): Promise<ReservationOutcome[]> {
    const byKey = new Map<string, number[]>();
    reservations.forEach((r, i) => byKey.set(r.dedupKey, [...(byKey.get(r.dedupKey) ?? []), i]));
    // Pointers go in the same wave as the claims, one write per event: a pointer to an alert that
    // ends up suppressed is harmless (`pending` checks the slot), and a sent one is always found.
    const slotsOfEvent = new Map<string, Set<string>>();
    for (const r of reservations) for (const id of r.eventIds) slotsOfEvent.set(id, (slotsOfEvent.get(id) ?? new Set()).add(slotKey(r.dedupKey)[PARTITION_KEY]!.S!));
    const outcomes: ReservationOutcome[] = new Array<ReservationOutcome>(reservations.length);
    await settleAll<void>(
      [
        ...[...byKey.values()].map(async (indices) => {
          for (const i of indices) outcomes[i] = await this.reserveOne(reservations[i]!, owner, nowMs, leaseMs);
        }),
        ...[...slotsOfEvent].map(([id, slots]) => this.addPointers(id, [...slots], nowMs)),
      ],
      `reserve in ${this.tableName}`,
    );
    return outcomes;
  }

  /** Unsent reservations recorded for any of these events: their pointers, then the slots (two BatchGetItems). */
  async pending(eventIds: readonly string[]): Promise<AlertReservation[]> {
    const ids = [...new Set(eventIds)];
    const wanted = new Set(ids);
    const pointers = await batchGetAll(this.client, this.tableName, ids.map(pointerKey), true, this.meter, this.retry);
    const slotPks = new Set(pointers.flatMap((p) => p[POINTER_SLOTS]?.SS ?? []));
    const keys: Item[] = [...slotPks].map((pk) => ({ [PARTITION_KEY]: { S: pk }, [SORT_KEY]: { S: LEDGER_KEYS.slotSort } }));
    const found = await batchGetAll(this.client, this.tableName, keys, true, this.meter, this.retry);
    const slots = new Map(found.map((item) => [itemKeyString(item), slotOf(item)]));
    const out: AlertReservation[] = [];
    for (const key of keys) {
      const slot = slots.get(itemKeyString(key));
      // The pointer may belong to an alert since replaced or suppressed: the slot decides.
      if (!slot || slot.sentId === slot.alertId || !slot.eventIds.some((id) => wanted.has(id))) continue;
      const { alertId, dedupKey, eventTime, windowMs, eventIds: related, payload, reached } = slot;
      out.push({ alertId, dedupKey, eventTime, windowMs, eventIds: related, payload, ...(reached.length > 0 ? { reached } : {}) });
    }
    return out;
  }

  /** Marks delivered alerts; one whose slot holds another alert by now is left alone. */
  async markSent(alerts: readonly AlertRef[]): Promise<void> {
    await settleAll(
      alerts.map((a) => this.updateSlotIf(a.dedupKey, 'SET #sentId = :id', '#alertId = :id', { ':id': { S: a.alertId } })),
      `markSent in ${this.tableName}`,
    );
  }

  /** Adds destinations to unsent alerts' slots (a string-set ADD: idempotent); a slot holding another alert by now is left alone. */
  async markReached(alerts: readonly ReachedRef[]): Promise<void> {
    await settleAll(
      alerts
        .filter((a) => a.destinations.length > 0)
        .map((a) => this.updateSlotIf(a.dedupKey, 'ADD #reached :to', '#alertId = :id', { ':to': { SS: [...new Set(a.destinations)] }, ':id': { S: a.alertId } })),
      `markReached in ${this.tableName}`,
    );
  }

  /** Ends our lease on unsent alerts; one taken over or sent meanwhile is left alone. */
  async release(alerts: readonly AlertRef[], owner: string): Promise<void> {
    await settleAll(
      alerts.map((a) =>
        this.updateSlotIf(a.dedupKey, 'SET #lease = :zero', '#alertId = :id AND #owner = :me AND (attribute_not_exists(#sentId) OR #sentId <> :id)', {
          ':zero': { N: '0' },
          ':id': { S: a.alertId },
          ':me': { S: owner },
        }),
      ),
      `release in ${this.tableName}`,
    );
  }

  /**
   * One reservation: claim the slot if the window is free (a conditional put that also
   * reports the slot it found), else decide from that slot, taking the lease over when the
   * alert is ours to send. A lost race (the slot changed in between) starts over.
   */
  private async reserveOne(r: AlertReservation, owner: string, nowMs: number, leaseMs: number): Promise<ReservationOutcome> {
    for (let attempt = 1; ; attempt++) {
      const claim = await this.claim(r, owner, nowMs, leaseMs);
      if (claim === 'claimed') return 'send';
      const found = claim ?? (await getItem(this.client, this.tableName, slotKey(r.dedupKey), this.meter));
      if (found) {
        const slot = slotOf(found);
        if (!windowFree(slot, r)) {
          if (slot.alertId !== r.alertId) return 'suppressed';
          if (slot.sentId === r.alertId) return 'sent';
          if (slot.owner !== owner && slot.leaseUntil > nowMs) return 'busy';
          if (await this.takeOver(r, owner, nowMs, leaseMs)) return 'send';
        }
      }
      if (attempt >= this.retry.maxAttempts) throw new Error(`reserve ${r.dedupKey}: slot still changing after ${attempt} attempts`);
      await backoff(this.retry, attempt);
    }
  }

  /** Puts a new slot if the window is free: `claimed`, or the slot in the way (undefined when the server does not return it). */
  private async claim(r: AlertReservation, owner: string, nowMs: number, leaseMs: number): Promise<Item | 'claimed' | undefined> {
    const expiresAt = Math.ceil(Math.max(r.eventTime + r.windowMs + SLOT_TTL_AFTER_WINDOW_MS, nowMs + SLOT_MIN_TTL_MS) / 1000);
    const item: Item = {
      ...slotKey(r.dedupKey),
      [SLOT.alertId]: { S: r.alertId },
      [SLOT.dedupKey]: { S: r.dedupKey },
      [SLOT.eventTime]: { N: String(r.eventTime) },
      [SLOT.windowMs]: { N: String(r.windowMs) },
      [SLOT.payload]: { S: r.payload },
      [SLOT.eventIds]: { L: r.eventIds.map((id) => ({ S: id })) },
      [SLOT.owner]: { S: owner },
      [SLOT.leaseUntil]: { N: String(nowMs + leaseMs) },
      [TTL_ATTRIBUTE]: { N: String(expiresAt) },
    };
    try {
      await metered(this.meter, 'write', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            // Condition expressions have no arithmetic: the window bounds are computed here.
            ConditionExpression: 'attribute_not_exists(#pk) OR #t <= :lo OR #t >= :hi',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#t': SLOT.eventTime },
            ExpressionAttributeValues: { ':lo': { N: String(r.eventTime - r.windowMs) }, ':hi': { N: String(r.eventTime + r.windowMs) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      return 'claimed';
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      return e.Item;
    }
  }

  /** Takes the lease of our unsent alert (ours already, or expired): false when the slot changed. */
  private takeOver(r: AlertReservation, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return this.updateSlotIf(
      r.dedupKey,
      'SET #owner = :me, #lease = :lease',
      '#alertId = :id AND (attribute_not_exists(#sentId) OR #sentId <> :id) AND (#owner = :me OR #lease <= :now)',
      { ':me': { S: owner }, ':lease': { N: String(nowMs + leaseMs) }, ':id': { S: r.alertId }, ':now': { N: String(nowMs) } },
    );
  }

  /** A conditional update of a slot (names `#sentId`, `#alertId`, `#owner`, `#lease`): false when the condition failed. */
  private async updateSlotIf(dedupKey: string, update: string, condition: string, values: Item): Promise<boolean> {
    try {
      await metered(this.meter, 'write', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: slotKey(dedupKey),
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: Object.fromEntries(
              Object.entries(SLOT_NAMES).filter(([placeholder]) => update.includes(placeholder) || condition.includes(placeholder)),
            ),
            ExpressionAttributeValues: values,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      return true;
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      return false;
    }
  }

  /** Adds slots to an event's pointer item (an ADD to a set: idempotent). */
  private async addPointers(eventId: string, slotPks: readonly string[], nowMs: number): Promise<void> {
    await metered(this.meter, 'write', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: pointerKey(eventId),
          UpdateExpression: 'ADD #slots :slots SET #ttl = :ttl',
          ExpressionAttributeNames: { '#slots': POINTER_SLOTS, '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':slots': { SS: [...slotPks] }, ':ttl': { N: String(Math.ceil((nowMs + POINTER_TTL_MS) / 1000)) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
  }
}
