/**
 * A published allow-list (`allowedCidrsSource`): the vendor's egress addresses as its own
 * pipeline writes them, so that a new NAT gateway needs no redeploy. JSON, in one of two shapes:
 *
 *   what `allowedCidrs` takes:  ["203.0.113.0/24", …]  or  {"eu": ["203.0.113.0/24"], "us": […]}
 *   a ranges document:          {"version": 3, "eu": {"prefixes_ipv4": [...], "prefixes_ipv6": [...]}, …}
 *
 * In a ranges document the keys whose value is neither a list nor such an object (`version`,
 * `modified`…) are skipped. Each group is a location for session-locations. Every entry is
 * checked with the parser the static list uses; a bad one is reported with its position and the
 * rest is used. A document with no usable entry is no list at all (null): the reader keeps its
 * last good copy rather than empty the allow-list.
 */
import { formatIp, parseCidr } from './ip';
import type { AllowedCidrGroups } from './config';

/** A published allow-list as read, and what was wrong with it. */
export interface ParsedCidrSource {
  /** The groups with their valid CIDRs; null when the document holds none. */
  readonly groups: AllowedCidrGroups | null;
  /** One line per problem, each naming the entry's position (`eu.prefixes_ipv4[3]`). */
  readonly problems: readonly string[];
  /** Valid CIDRs read. */
  readonly cidrs: number;
}

/** Problems listed in full; past this they are counted (a wrong file has a problem per entry). */
const MAX_PROBLEMS = 50;
/** Characters of a bad value quoted in a problem. */
const QUOTE_CHARS = 80;
/** A group name is a location kept on session items and shown in alerts: a name, not a document. */
const MAX_GROUP_NAME = 64;
/** The lists a ranges document holds per group. */
const RANGE_LISTS = ['prefixes_ipv4', 'prefixes_ipv6'] as const;

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
}

/** Whether a value is a ranges document's group: an object with a prefix list. */
function isRangeGroup(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && RANGE_LISTS.some((k) => k in value);
}

/** Reads a published allow-list (see the module comment). */
export function parseCidrSource(text: string): ParsedCidrSource {
  const problems: string[] = [];
  let dropped = 0;
  const problem = (message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(message);
    else dropped += 1;
  };
  let doc: unknown;
  try {
    // A byte-order mark from a Windows editor is not part of the JSON.
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    return { groups: null, problems: [`not JSON (${(e as Error).message})`], cidrs: 0 };
  }
  const groups = new Map<string, string[]>();
  let cidrs = 0;
  /** Adds the valid entries of one list to a group; `at` names the list for problems. */
  const addList = (group: string, list: unknown, at: string): void => {
    if (!Array.isArray(list)) {
      problem(`${at}: ${quote(list)} is not a list of CIDRs`);
      return;
    }
    list.forEach((entry, i) => {
      if (typeof entry !== 'string' || parseCidr(entry) === null) {
        problem(`${at}[${i}]: ${quote(entry)} is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)`);
        return;
      }
      let kept = groups.get(group);
      if (kept === undefined) groups.set(group, (kept = []));
      kept.push(entry);
      cidrs += 1;
    });
  };
  if (Array.isArray(doc)) {
    addList('allowed', doc, '');
  } else if (doc !== null && typeof doc === 'object') {
    for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
      const isList = Array.isArray(value);
      if (!isList && !isRangeGroup(value)) continue; // `version`, `modified`, `syncToken`…
      // JSON.parse makes `__proto__` an own key; as a group name it would be dropped without a word.
      if (name === '__proto__' || name.trim() === '' || name.length > MAX_GROUP_NAME) {
        problem(`${quote(name)}: not usable as a group name (1 to ${MAX_GROUP_NAME} characters, not __proto__); its entries are skipped`);
        continue;
      }
      if (isList) addList(name, value, name);
      else for (const key of RANGE_LISTS) if (value[key] !== undefined) addList(name, value[key], `${name}.${key}`);
    }
  } else {
    return { groups: null, problems: [`${quote(doc)} is neither a list of CIDRs nor an object of groups`], cidrs: 0 };
  }
  if (dropped > 0) problems.push(`${dropped} more bad entries not listed`);
  if (cidrs === 0) problems.push('no usable CIDR: expected a list of CIDRs, {"group": [CIDR, …]} or {"group": {"prefixes_ipv4": [...], "prefixes_ipv6": [...]}}');
  return { groups: cidrs === 0 ? null : Object.fromEntries(groups), problems, cidrs };
}

/** A one-line description of a list, for logs and the terminal. */
export function describeCidrGroups(groups: AllowedCidrGroups): string {
  const names = Object.keys(groups);
  const cidrs = names.reduce((n, g) => n + groups[g]!.length, 0);
  return `${cidrs} CIDR${cidrs === 1 ? '' : 's'} in ${names.length} group${names.length === 1 ? '' : 's'}`;
}

/** What changed between two copies: each entry as `group block` (the block as its network address), sorted. */
export function diffCidrGroups(before: AllowedCidrGroups, after: AllowedCidrGroups): { added: string[]; removed: string[] } {
  const entries = (groups: AllowedCidrGroups): Set<string> => {
    const out = new Set<string>();
    for (const [group, list] of Object.entries(groups)) {
      for (const text of list) {
        const cidr = parseCidr(text);
        // Written forms differ ("10.0.0.7/24" is 10.0.0.0/24): compared by the block itself.
        if (cidr !== null) out.add(`${group} ${cidrText(cidr.version, cidr.start, cidr.prefixLength)}`);
      }
    }
    return out;
  };
  const a = entries(before);
  const b = entries(after);
  return { added: [...b].filter((e) => !a.has(e)).sort(), removed: [...a].filter((e) => !b.has(e)).sort() };
}

function cidrText(version: 4 | 6, start: number | bigint, prefixLength: number): string {
  return `${version === 4 ? formatIp({ version: 4, value: start as number }) : formatIp({ version: 6, value: start as bigint })}/${prefixLength}`;
}
