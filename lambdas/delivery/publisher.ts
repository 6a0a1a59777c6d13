/**
 * The delivery port: what publishing alerts promises ({@link AlertPublisher}), what it reports
 * per alert ({@link PublishResult}), and the error of a publish that failed as a whole
 * ({@link AlertPublishError}). `SnsPublisher` is the deployed one, `MemoryPublisher` the replay's
 * and the tests'.
 */
import type { Alert } from '../engine/alerts';

/** An alert the publisher accepted. */
export interface AcceptedAlert {
  readonly alertId: string;
  /** SNS's message ID; null from publishers that have none. */
  readonly messageId: string | null;
  /** The message was shortened to fit the size limit. */
  readonly truncated: boolean;
}

/** An alert the publisher did not accept, with its reason (SNS's, for SNS). */
export interface FailedAlert {
  readonly alertId: string;
  readonly code: string;
  readonly message: string;
  /** The destination blames the request (retrying the same message will not help). */
  readonly senderFault: boolean;
  /** The destinations that refused it, for a publisher with several. */
  readonly destinations?: readonly string[];
}

/** What became of each alert given to {@link AlertPublisher.publish}; each alertId appears once. */
export interface PublishResult {
  readonly accepted: readonly AcceptedAlert[];
  readonly failed: readonly FailedAlert[];
  /**
   * Of the failed alerts, the destinations that did take them (a publisher with several
   * destinations): the ledger records these, and the retry sends only to the others.
   */
  readonly reached?: readonly ReachedDestinations[];
}

/** An alert some destinations took: their names. */
export interface ReachedDestinations {
  readonly alertId: string;
  readonly destinations: readonly string[];
}

/** What the caller knows of earlier attempts. */
export interface PublishOptions {
  /** Per alertId, the destinations an earlier attempt delivered it to: not sent there again. */
  readonly reached?: ReadonlyMap<string, readonly string[]>;
}

/** Delivers alerts. Per-alert failures are reported in the result; only a failed call throws. */
export interface AlertPublisher {
  publish(alerts: readonly Alert[], options?: PublishOptions): Promise<PublishResult>;
}

/** A publish call failed as a whole (for SNS, a PublishBatch call); `partial` tells what the other calls of the same publish achieved. */
export class AlertPublishError extends Error {
  constructor(
    message: string,
    readonly partial: PublishResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AlertPublishError';
  }
}
