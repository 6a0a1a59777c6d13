/**
 * The chat channels of the deployment (`chatChannels`): what each entry must hold, checked
 * against the patterns AWS's chat integration accepts, and the severity thresholds they need a
 * topic for. Free of CDK, as lib/config.ts is.
 */
import { closest, show } from '../lambdas/core/config-values';
import { SEVERITIES, type Severity } from '../lambdas/core/types';
import type { AlertSeverity } from './severity';

/**
 * A chat channel fed by AWS's chat integration (Amazon Q Developer in chat applications): a
 * Slack channel (`slackWorkspaceId`, `slackChannelId`) or a Microsoft Teams channel
 * (`teamsTeamId`, `teamsChannelId`, `teamsTenantId`), as its console shows them once the
 * workspace or team is authorized there.
 */
export interface ChatChannel {
  /** The channel configuration's name: unique in the account, letters, digits, `-` and `_`. */
  readonly name: string;
  /** Only alerts of this severity or higher. @default every severity */
  readonly minSeverity?: AlertSeverity;
  readonly slackWorkspaceId?: string;
  readonly slackChannelId?: string;
  readonly teamsTeamId?: string;
  /** URL-encoded, as the console shows it (`19%3a…%40thread.tacv2`). */
  readonly teamsChannelId?: string;
  readonly teamsTenantId?: string;
}

/** AWS's chat integration: configuration names, Slack IDs, Teams IDs (its API's patterns). */
const CHAT_NAME = /^[A-Za-z0-9-_]{1,128}$/;
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;
const UUID = /^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/;
const TEAMS_CHANNEL_ID = /^[a-zA-Z0-9-_=+/.,]*%3[aA][a-zA-Z0-9-_=+/.,]*%40[a-zA-Z0-9-_=+/.,]*$/;

/** The fields of a chat channel, by platform, with what each must look like. */
const CHAT_FIELDS = {
  slack: { slackWorkspaceId: [SLACK_WORKSPACE_ID, 'a Slack workspace ID (like T0123ABCD)'], slackChannelId: [SLACK_CHANNEL_ID, 'a Slack channel ID (like C0123ABCD)'] },
  teams: { teamsTeamId: [UUID, 'a Teams team ID (a UUID)'], teamsChannelId: [TEAMS_CHANNEL_ID, 'a URL-encoded Teams channel ID (like 19%3a…%40thread.tacv2)'], teamsTenantId: [UUID, 'a Microsoft tenant ID (a UUID)'] },
} as const;

/** The entries of `key`: each a Slack or a Teams channel, with an optional severity threshold; every problem named by its path. */
export function checkChatChannels(key: string, entries: readonly unknown[], problems: string[]): ChatChannel[] {
  const channels: ChatChannel[] = [];
  entries.forEach((entry, i) => {
    const at = `${key}[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${at}: ${show(entry)} is not an object; expected {name, minSeverity?, slackWorkspaceId, slackChannelId} or {name, minSeverity?, teamsTeamId, teamsChannelId, teamsTenantId}`);
      return;
    }
    const record = entry as Record<string, unknown>;
    const platforms = (Object.keys(CHAT_FIELDS) as (keyof typeof CHAT_FIELDS)[]).filter((p) => Object.keys(CHAT_FIELDS[p]).some((f) => f in record));
    const known = new Set(['name', 'minSeverity', ...Object.values(CHAT_FIELDS).flatMap((f) => Object.keys(f))]);
    const unknown = Object.keys(record).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      const guess = closest(unknown[0]!, [...known]);
      problems.push(`${at}: unknown field ${show(unknown[0])}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
    if (typeof record.name !== 'string' || !CHAT_NAME.test(record.name)) problems.push(`${at}.name: ${show(record.name)} is not a configuration name; expected 1 to 128 letters, digits, - and _`);
    const min = record.minSeverity;
    if (min !== undefined && !(typeof min === 'string' && (SEVERITIES as readonly string[]).includes(min))) problems.push(`${at}.minSeverity: ${show(min)} is not a severity; expected ${SEVERITIES.join('|')}`);
    if (platforms.length !== 1) {
      problems.push(`${at}: ${platforms.length === 0 ? 'neither a Slack nor a Teams channel' : 'both a Slack and a Teams channel'}; expected slackWorkspaceId and slackChannelId, or teamsTeamId, teamsChannelId and teamsTenantId`);
      return;
    }
    for (const [field, [pattern, what]] of Object.entries(CHAT_FIELDS[platforms[0]!]) as [string, readonly [RegExp, string]][]) {
      const v = record[field];
      if (v === undefined) problems.push(`${at}.${field}: missing; expected ${what}`);
      else if (typeof v !== 'string' || !pattern.test(v)) problems.push(`${at}.${field}: ${show(v)} is not ${what}`);
    }
    channels.push(record as unknown as ChatChannel);
  });
  return channels;
}

/**
 * The distinct severity thresholds of the chat channels, lowest first: one topic each, since the
 * chat integration subscribes to a topic with no filter of its own.
 */
export function chatThresholds(channels: readonly ChatChannel[]): Severity[] {
  const wanted = new Set<Severity>(channels.map((c) => c.minSeverity ?? 'low'));
  return SEVERITIES.filter((s) => wanted.has(s));
}
