/**
 * Several destinations as one publisher: SNS, an EventBridge bus, Security Hub, chat channels.
 * Each alert goes to every destination that takes it and has not taken it before; it counts as
 * delivered once all have. When some took it and others refused, the result says which took it
 * (`reached`): the batch runner records them in the ledger, and the retry of the alert's events
 * sends to the others only, so a Security Hub retry never sends the SNS message again. The
 * alertId is the same everywhere (SNS attribute, EventBridge detail, ASFF `Id`), so a
 * subscriber can drop what a crash made it receive twice.
 */
import type { Alert } from '../engine/alerts';
import { AlertPublishError, type AcceptedAlert, type AlertPublisher, type FailedAlert, type PublishOptions, type PublishResult, type ReachedDestinations } from './publisher';

/** One place alerts go. */
export interface Destination {
  /**
   * Names it in the ledger's marks, logs and metrics: keep it stable across deployments (a
   * renamed destination counts as one that never took anything).
   */
  readonly name: string;
  readonly publisher: AlertPublisher;
  /** Which alerts it takes (a chat channel's severity threshold). @default every alert */
  readonly accepts?: (alert: Alert) => boolean;
}

/** A destination's answer about one alert: taken, or refused with why. */
type Answer = { readonly accepted: AcceptedAlert } | { readonly failed: FailedAlert };

/** Publishes each alert to every destination that takes it, in parallel; never throws. */
export class Destinations implements AlertPublisher {
  constructor(readonly destinations: readonly Destination[]) {
    if (destinations.length === 0) throw new Error('at least one destination is needed');
    const names = destinations.map((d) => d.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new Error(`destination ${JSON.stringify(twice)} is given twice`);
  }

  /** The names of the destinations, in order. */
  get names(): string[] {
    return this.destinations.map((d) => d.name);
  }

  /**
   * An alert is accepted when every destination that takes it has (now or before, per
   * `options.reached`); otherwise it is failed, with each refusal in its message and the
   * destinations that did take it in `reached`.
   */
  async publish(alerts: readonly Alert[], options: PublishOptions = {}): Promise<PublishResult> {
    const unique = [...new Map(alerts.map((a) => [a.alertId, a])).values()];
    const earlier = options.reached ?? new Map<string, readonly string[]>();
    const answers = await Promise.all(
      this.destinations.map((d) => {
        const due = unique.filter((a) => (d.accepts?.(a) ?? true) && !(earlier.get(a.alertId) ?? []).includes(d.name));
        return answersOf(d, due);
      }),
    );
    const accepted: AcceptedAlert[] = [];
    const failed: FailedAlert[] = [];
    const reached: ReachedDestinations[] = [];
    for (const alert of unique) {
      const took: string[] = [...(earlier.get(alert.alertId) ?? [])];
      const refusals: { destination: string; failure: FailedAlert }[] = [];
      let first: AcceptedAlert | undefined;
      this.destinations.forEach((d, i) => {
        const answer = answers[i]!.get(alert.alertId);
        if (answer === undefined) return;
        if ('failed' in answer) refusals.push({ destination: d.name, failure: answer.failed });
        else {
          took.push(d.name);
          first ??= answer.accepted;
        }
      });
      if (refusals.length === 0) {
        accepted.push({ alertId: alert.alertId, messageId: first?.messageId ?? null, truncated: first?.truncated ?? false });
        continue;
      }
      failed.push({
        alertId: alert.alertId,
        code: refusals[0]!.failure.code,
        message: refusals.map((r) => `${r.destination}: ${r.failure.code}: ${r.failure.message}`).join('; '),
        senderFault: refusals.every((r) => r.failure.senderFault),
        destinations: refusals.map((r) => r.destination),
      });
      if (took.length > 0) reached.push({ alertId: alert.alertId, destinations: [...new Set(took)] });
    }
    return { accepted, failed, reached };
  }
}

/** What one destination did with its alerts, per alertId; a call that failed as a whole refuses what it did not confirm. */
async function answersOf(destination: Destination, alerts: readonly Alert[]): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>();
  if (alerts.length === 0) return answers;
  let result: PublishResult;
  let callError: unknown = null;
  try {
    result = await destination.publisher.publish(alerts);
  } catch (e) {
    callError = e;
    result = e instanceof AlertPublishError ? e.partial : { accepted: [], failed: [] };
  }
  for (const a of result.accepted) answers.set(a.alertId, { accepted: a });
  for (const f of result.failed) if (!answers.has(f.alertId)) answers.set(f.alertId, { failed: f });
  const reason = callError instanceof Error ? `${callError.name}: ${callError.message}` : callError === null ? 'the publisher did not answer for this alert' : String(callError);
  for (const alert of alerts) {
    if (!answers.has(alert.alertId)) answers.set(alert.alertId, { failed: { alertId: alert.alertId, code: callError === null ? 'MissingFromResponse' : 'CallFailed', message: reason, senderFault: false } });
  }
  return answers;
}
