/**
 * The in-memory delivery port: keeps alerts instead of publishing them, for replay and tests,
 * and can refuse chosen alerts to exercise the retry paths.
 */
import type { Alert } from '../engine/alerts';
import type { AcceptedAlert, AlertPublisher, FailedAlert, PublishResult } from './publisher';

/** Keeps alerts in memory instead of publishing them; for replay and tests. */
export class MemoryPublisher implements AlertPublisher {
  /** Every alert given to {@link publish}, in order (repeats included). */
  readonly alerts: Alert[] = [];

  /** @param fail decides which alerts to refuse, and why (none by default). */
  constructor(private readonly fail: (alert: Alert) => { code: string; message: string } | null = () => null) {}

  async publish(alerts: readonly Alert[]): Promise<PublishResult> {
    this.alerts.push(...alerts);
    const accepted: AcceptedAlert[] = [];
    const failed: FailedAlert[] = [];
    const seen = new Set<string>();
    for (const alert of alerts) {
      if (seen.has(alert.alertId)) continue;
      seen.add(alert.alertId);
      const refusal = this.fail(alert);
      if (refusal) failed.push({ alertId: alert.alertId, ...refusal, senderFault: false });
      else accepted.push({ alertId: alert.alertId, messageId: null, truncated: false });
    }
    return { accepted, failed };
  }
}
