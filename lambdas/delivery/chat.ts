/**
 * The chat rendering of an alert: a custom notification of AWS's chat integration (Amazon Q
 * Developer in chat applications, formerly AWS Chatbot) for Slack channels and Microsoft Teams,
 * which it reads from an SNS topic: `{"version": "1.0", "source": "custom", "content": {...}}`
 * with a title, a description, and the runbook as next steps.
 *
 * The notification is rendered as the chat's markdown, and attackers choose many strings in an
 * alert: titles and causes hold them {@link quoted} already (no `<!channel>`, no link, no line
 * break of theirs); evidence values go in code spans, which no chat turns into a mention, a
 * link or formatting. Our own words are the only markdown outside them.
 */
import { describeAttack } from '../core/attack';
import type { Alert } from '../engine/alerts';
import { consoleEventUrl, printable, shown } from './format';
import { messageAttributes, messageBytes, type RenderedAlert } from './sns-publisher';

/** The custom notification schema Amazon Q Developer in chat applications reads. */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  /** The alertId: the same in every destination. */
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    /** One thread per alert. */
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** Longest title shown (chat clients cut long ones themselves, less cleanly). */
const TITLE_MAX = 250;
/** Longest description: a chat message is read on a phone; the rest is in the CloudTrail events. */
const DESCRIPTION_MAX = 3_000;
/** Next steps shown, and the longest each. */
const MAX_STEPS = 6;
const STEP_MAX = 400;

/** Severity markers a reader scans for. */
const MARKER: Readonly<Record<Alert['severity'], string>> = { low: ':information_source:', medium: ':warning:', high: ':rotating_light:', critical: ':rotating_light: :rotating_light:' };

/**
 * A value in a code span: no backtick of its own (it would end the span), shown as the e-mail
 * shows it (controls escaped, quoted unless a plain token).
 */
function code(value: string, max = 256): string {
  return `\`${shown(value, max).replaceAll('`', "'")}\``;
}

/** Our prose with attacker text quoted inside: printable, and no backtick that would open a span around our words. */
function prose(text: string, max: number): string {
  return printable(text, max).replaceAll('`', "'");
}

/** The runbook as next steps: one per sentence, at most {@link MAX_STEPS}. */
function steps(runbook: string): string[] {
  const sentences = runbook.split(/(?<=[.;])\s+(?=[A-Z(])/).map((s) => s.trim()).filter((s) => s !== '');
  const shownSteps = sentences.slice(0, MAX_STEPS).map((s) => prose(s, STEP_MAX));
  if (sentences.length > MAX_STEPS) shownSteps.push('The rest of the runbook is in the alert record (e-mail, EventBridge or the function log).');
  return shownSteps;
}

/** Renders an alert as a chat custom notification. */
export function toChatNotification(alert: Alert): ChatNotification {
  const e = alert.evidence;
  const times = [...e.eventTimes].sort();
  const lines: string[] = [
    prose(alert.cause, 1_024),
    '',
    `*Who:* ${e.principalArn === null ? `(no ARN in the record, ${code(e.principalType, 64)})` : code(e.principalArn)}`,
    `*What:* ${code(e.eventName, 64)}${e.roleArn ? ` ${code(e.roleArn)}` : ''}${e.targetAccountId ? ` in account ${code(e.targetAccountId, 32)}` : ''}`,
    `*From:* ${code(e.sourceIp ?? '-', 128)} in ${code(e.awsRegion, 40)}`,
    `*When:* ${times.length === 0 ? '-' : code(times[0]!, 40)}${alert.occurrences > 1 ? ` (${alert.occurrences} findings)` : ''}`,
  ];
  if (e.userAgent) lines.push(`*User agent:* ${code(e.userAgent, 200)}`);
  const attack = describeAttack(alert.attack ?? []);
  if (attack.length > 0) lines.push(`*ATT&CK:* ${attack.map((a) => prose(a, 200)).join('; ')}`);
  if (e.eventIds.length > 0) lines.push(`*First event:* ${consoleEventUrl(e.awsRegion, e.eventIds[0]!)}${e.eventIds.length > 1 ? ` (and ${e.eventIds.length - 1} more)` : ''}`);
  lines.push(`*Alert ID:* ${code(alert.alertId, 128)}`);
  let description = lines.join('\n');
  if (description.length > DESCRIPTION_MAX) description = `${description.slice(0, DESCRIPTION_MAX - 1)}…`;
  return {
    version: '1.0',
    source: 'custom',
    id: alert.alertId,
    content: {
      textType: 'client-markdown',
      title: `${MARKER[alert.severity]} ${alert.severity.toUpperCase()} ${prose(`${alert.detector}: ${alert.title}`, TITLE_MAX)}`,
      description,
      nextSteps: steps(alert.runbook),
      keywords: [alert.detector, alert.severity, ...(alert.attack ?? []).map((m) => (m.subTechnique ?? m.technique).uid)],
    },
    metadata: {
      threadId: alert.alertId,
      summary: prose(`[${alert.severity.toUpperCase()}] ${alert.detector}: ${alert.title}`, TITLE_MAX),
      eventType: `assumerole-watch/${alert.detector}`,
      relatedResources: [e.roleArn, e.principalArn].filter((r): r is string => r !== null).map((r) => printable(r, 2_048)),
      additionalContext: { alertId: alert.alertId, detector: alert.detector, severity: alert.severity },
    },
  };
}

/**
 * The SNS message for a chat topic: the notification as the one text every protocol gets (the
 * chat integration reads the raw message), with the alert's filter attributes. It is a few
 * kilobytes at most, far under SNS's limit.
 */
export function renderChatAlert(alert: Alert): RenderedAlert {
  const message = JSON.stringify(toChatNotification(alert));
  const attributes = messageAttributes(alert);
  return { alertId: alert.alertId, subject: null, message, perProtocol: false, attributes, bytes: messageBytes(message, null, attributes), truncated: false };
}
