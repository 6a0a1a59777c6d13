/**
 * Counting what the DynamoDB adapters consume. Every request asks for
 * `ReturnConsumedCapacity: 'TOTAL'` and is counted in a {@link CapacityMeter}; an adapter's
 * `consumption()` returns totals since it was created, and the caller diffs two readings for a
 * batch ({@link consumptionSince}). Failed conditional writes report no capacity in their error
 * (DynamoDB still bills them), so the meter counts them apart.
 */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { Consumption } from '../core/state';

/** What a {@link CapacityMeter} has counted. */
export interface MeterReading extends Consumption {
  /** Conditional writes that failed their condition (billed by DynamoDB, absent from the units). */
  readonly conditionalFailures: number;
}

/** Counts requests and the capacity DynamoDB reported for them. One per adapter. */
export class CapacityMeter {
  private readUnits = 0;
  private writeUnits = 0;
  private requests = 0;
  private conditionalFailures = 0;

  /** Records one request and the capacity its response reported. */
  record(kind: 'read' | 'write', consumed: ConsumedCapacity | readonly ConsumedCapacity[] | undefined): void {
    this.requests += 1;
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed as ConsumedCapacity]) {
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        this.readUnits += c.ReadCapacityUnits ?? 0;
        this.writeUnits += c.WriteCapacityUnits ?? 0;
      } else if (kind === 'read') this.readUnits += c.CapacityUnits ?? 0;
      else this.writeUnits += c.CapacityUnits ?? 0;
    }
  }

  /** Records a request that failed (no capacity reported); `conditional` when its condition failed. */
  failed(conditional: boolean): void {
    this.requests += 1;
    if (conditional) this.conditionalFailures += 1;
  }

  /** Totals so far. */
  reading(): MeterReading {
    return { readUnits: this.readUnits, writeUnits: this.writeUnits, requests: this.requests, conditionalFailures: this.conditionalFailures };
  }
}

/** What was consumed between two readings of `consumption()` (e.g. before and after a batch). */
export function consumptionSince(before: Consumption, after: Consumption): Consumption {
  return { readUnits: after.readUnits - before.readUnits, writeUnits: after.writeUnits - before.writeUnits, requests: after.requests - before.requests };
}
