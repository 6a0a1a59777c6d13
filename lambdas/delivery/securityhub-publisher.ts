/**
 * Alert delivery to AWS Security Hub: one ASFF finding per alert (asff.ts), imported with
 * BatchImportFindings under the account's own product. The finding `Id` is the alertId, so a
 * retry or a repeat updates the same finding instead of adding one.
 *
 * Limits ("Guidelines for using the BatchImportFindings API", Security Hub Partner Guide, and
 * "Using BatchImportFindings to create and update findings", User Guide): up to 100 findings per
 * batch, 240 KB per finding, 6 MB per batch; 10 requests a second per account and Region (burst
 * 30). A finding too large is rendered again with shorter evidence (shorten.ts), never refused
 * for its size unless even the shortest form is too large.
 */
import type { AwsSecurityFinding, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Alert } from '../engine/alerts';
import type { Clock } from '../engine/engine';
import { toAsff, type AsffTarget } from './asff';
import { isSenderFault, packCalls, sendCalls, uniqueAlerts, utf8Bytes } from './calls';
import type { AcceptedAlert, AlertPublisher, FailedAlert, PublishResult } from './publisher';
import { renderToFit } from './shorten';

/** BatchImportFindings takes at most this many findings. */
export const SECURITY_HUB_MAX_FINDINGS = 100;
/** "Up to 240 KB per finding": read as 240,000 bytes of the finding's JSON, the smaller of the two readings. */
export const SECURITY_HUB_MAX_FINDING_BYTES = 240_000;
/** "Up to 6 MB per batch": read as 6,000,000 bytes of request JSON. */
export const SECURITY_HUB_MAX_REQUEST_BYTES = 6_000_000;
/** `{"Findings":[` and `]}` around the findings of a request. */
const REQUEST_ENVELOPE_BYTES = 16;

/** The Security Hub client module, loaded when first needed rather than at the cold start. */
export function securityHubModule(): typeof import('@aws-sdk/client-securityhub') {
  return require('@aws-sdk/client-securityhub') as typeof import('@aws-sdk/client-securityhub');
}

/** One alert rendered as a finding, with its size as counted against the limits. */
export interface RenderedFinding {
  readonly alertId: string;
  readonly finding: AwsSecurityFinding;
  /** UTF-8 bytes of the finding's JSON. */
  readonly bytes: number;
  /** Evidence or a field was cut to fit (`ProductFields.truncated`). */
  readonly truncated: boolean;
}

/** Options of {@link SecurityHubPublisher}. */
export interface SecurityHubPublisherOptions {
  /** The render time (`UpdatedAt`): a later import of the same finding must carry a later one. @default the wall clock */
  readonly clock?: Clock;
  /** @default 240000 */
  readonly maxFindingBytes?: number;
  /** @default 6000000 */
  readonly maxRequestBytes?: number;
}

/**
 * Renders an alert as a finding, shortening its evidence as little as needed to fit `maxBytes`.
 * If even the shortest form does not fit, returns it anyway (`bytes > maxBytes`).
 */
export function renderFinding(alert: Alert, target: AsffTarget, now: number, maxBytes = SECURITY_HUB_MAX_FINDING_BYTES): RenderedFinding {
  return renderToFit(
    alert,
    (_shown, truncated, limits): RenderedFinding => {
      // toAsff shortens the evidence itself, so that the event times and links come from the whole alert.
      const finding = toAsff(alert, target, { now, ...(truncated ? { limits } : {}) });
      return { alertId: alert.alertId, finding, bytes: utf8Bytes(JSON.stringify(finding)), truncated: finding.ProductFields?.truncated === 'true' };
    },
    (r) => r.bytes <= maxBytes,
  );
}

/** Imports alerts into Security Hub as ASFF findings with BatchImportFindings. */
export class SecurityHubPublisher implements AlertPublisher {
  private readonly clock: Clock;
  private readonly maxFindingBytes: number;
  private readonly maxRequestBytes: number;

  constructor(
    /** The client, or how to make it at the first publish (most Lambda instances never publish). */
    private client: SecurityHubClient | (() => SecurityHubClient),
    private readonly target: AsffTarget,
    options: SecurityHubPublisherOptions = {},
  ) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.maxFindingBytes = options.maxFindingBytes ?? SECURITY_HUB_MAX_FINDING_BYTES;
    this.maxRequestBytes = options.maxRequestBytes ?? SECURITY_HUB_MAX_REQUEST_BYTES;
  }

  /**
   * Imports each alert once (a repeated alertId is sent once), in calls of at most 100 findings
   * and `maxRequestBytes`, made in parallel. Findings Security Hub refuses (`FailedFindings`) are
   * reported in `failed`, every other finding of a call that succeeded in `accepted`; if any call
   * fails as a whole, throws {@link AlertPublishError} once every call has finished.
   */
  async publish(alerts: readonly Alert[]): Promise<PublishResult> {
    const now = this.clock.now();
    const failed: FailedAlert[] = [];
    const rendered: RenderedFinding[] = [];
    for (const alert of uniqueAlerts(alerts)) {
      const r = renderFinding(alert, this.target, now, this.maxFindingBytes);
      if (r.bytes > this.maxFindingBytes) {
        failed.push({ alertId: r.alertId, code: 'FindingTooLarge', message: `${r.bytes} bytes after truncation; the limit is ${this.maxFindingBytes}`, senderFault: true });
      } else {
        rendered.push(r);
      }
    }
    // The request is `{"Findings":[…]}`: the findings, a comma between two, and the envelope.
    const calls = packCalls(rendered, SECURITY_HUB_MAX_FINDINGS, this.maxRequestBytes - REQUEST_ENVELOPE_BYTES - SECURITY_HUB_MAX_FINDINGS);
    return sendCalls(calls, (call) => this.send(call), 'BatchImportFindings', { accepted: [], failed });
  }

  private async send(call: readonly RenderedFinding[]): Promise<PublishResult> {
    const byId = new Map(call.map((r) => [r.finding.Id!, r] as const));
    if (typeof this.client === 'function') this.client = this.client();
    const { BatchImportFindingsCommand } = securityHubModule();
    const response = await this.client.send(new BatchImportFindingsCommand({ Findings: call.map((r) => r.finding) }));
    const failed: FailedAlert[] = [];
    const refused = new Set<string>();
    for (const f of response.FailedFindings ?? []) {
      const r = f.Id === undefined ? undefined : byId.get(f.Id);
      if (!r || refused.has(f.Id!)) continue;
      refused.add(f.Id!);
      const code = f.ErrorCode ?? 'Unknown';
      failed.push({ alertId: r.alertId, code, message: f.ErrorMessage ?? '', senderFault: isSenderFault(code) });
    }
    // The response lists only the failures: a finding of a successful call that it does not name was imported.
    const accepted: AcceptedAlert[] = call.filter((r) => !refused.has(r.finding.Id!)).map((r) => ({ alertId: r.alertId, messageId: null, truncated: r.truncated }));
    return { accepted, failed };
  }
}
