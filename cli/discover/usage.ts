/**
 * How the monitored roles are used: through which regions' STS endpoints (`roleRegions`), and
 * under which session names (`sessionNamePattern`).
 */
import { isRegionName } from '../../lambdas/core/config-values';
import { namePatternProblem, wholeNameMatcher } from '../../lambdas/core/name-patterns';
import type { Collector, RoleIn, RoleOut } from './collect';
import { code, prose, table } from './markdown';
import { displayOf, isEmailShape, regexOf, type NameShape } from './names';
import { Seen } from './seen';
import { isOneOff, oneOffRule, SEEN_HEADER, seenCells, type LeftOut, type Period, type Section } from './section';

/** Seen values of two maps (a role's calls out and the calls into it), merged by key. */
function mergeSeen(...maps: (ReadonlyMap<string, Seen> | undefined)[]): Map<string, Seen> {
  const out = new Map<string, Seen>();
  for (const m of maps) for (const [k, s] of m ?? []) out.set(k, (out.get(k) ?? new Seen()).merge(s));
  return out;
}

/** Proposes `roleRegions`: the regions each monitored role is assumed in and assumes roles through. */
export function proposeRegions(c: Collector, monitored: readonly RoleOut[], period: Period): Section {
  const leftOut: LeftOut[] = [];
  const regionsByRole: Record<string, string[]> = {};
  const rows: string[][] = [];
  for (const role of monitored) {
    const into: RoleIn | undefined = c.into.get(role.arn);
    const regions = mergeSeen(role.regions.items, into?.regions.items);
    const endpoints = mergeSeen(role.endpoints.items, into?.endpoints.items);
    const kept: string[] = [];
    for (const [region, s] of [...regions.entries()].sort(([, x], [, y]) => y.calls - x.calls)) {
      let why: string | null = null;
      if (!isRegionName(region)) why = 'not a region name';
      else if (isOneOff(s, period)) why = `a region ${oneOffRule(period)}`;
      if (why === null) kept.push(region);
      else leftOut.push({ what: 'region', value: `${region} (${role.arn.slice(role.arn.lastIndexOf('/') + 1)})`, why, seen: s });
      const hosts = [...endpoints.entries()].filter(([host]) => host.includes(`.${region}.`) || (region === 'us-east-1' && host === 'sts.amazonaws.com')).map(([host, e]) => `${code(host)} (${e.calls})`);
      rows.push([code(role.arn), code(region), ...seenCells(s), hosts.join(', ') || '-', why === null ? 'proposed' : `left out: ${prose(why)}`]);
    }
    if (kept.length > 0) regionsByRole[role.arn] = kept.sort();
  }
  const roles = Object.keys(regionsByRole).length;
  const markdown =
    `## Regions and STS endpoints (\`roleRegions\`)\n\nThe region of each AssumeRole record into or out of a monitored role: the region of the STS endpoint it went through (the global endpoint \`sts.amazonaws.com\` logs in us-east-1). A region ${oneOffRule(period)} is left out. Endpoints are the TLS host headers the clients dialled.\n\n${table(['role', 'region', ...SEEN_HEADER, 'STS endpoints (calls)', 'verdict'], rows)}\n` +
    (roles > 0 ? `Proposed: each role pinned to the regions it used. A regional failover through another region would alert (region, medium): list that region too if the vendor fails over that way.\n` : 'Proposed: nothing.\n');
  return { config: roles > 0 ? { roleRegions: regionsByRole } : {}, markdown, leftOut, summary: roles > 0 ? `role regions: ${Object.entries(regionsByRole).map(([arn, r]) => `${arn.slice(arn.lastIndexOf('/') + 1)} ${r.join('+')}`).join(', ')}` : undefined };
}

/** STS accepts role session names of at most 64 characters (as the configuration matches them). */
const MAX_SESSION_NAME = 64;

/**
 * Proposes `sessionNamePattern`: one RE2 alternative per usual shape of the names the monitored
 * roles' sessions give the roles they assume (what session-name judges); e-mail addresses and
 * one-off shapes are left out.
 */
export function proposeSessionNames(c: Collector, monitored: readonly RoleOut[], period: Period): Section {
  const leftOut: LeftOut[] = [];
  const rows: string[][] = [];
  const alternatives: string[] = [];
  const examples: string[] = [];
  for (const role of monitored) {
    for (const shape of sortedShapes(role.names.items)) {
      const regex = regexOf(shape);
      let why: string | null = null;
      if (isEmailShape(shape)) why = 'an e-mail address: a person holds the session';
      else if (regex === null || namePatternProblem(regex) !== null) why = 'no pattern can be made of it';
      else if (isOneOff(shape.seen, period)) why = `a rare shape: ${oneOffRule(period)}`;
      rows.push([code(role.arn.slice(role.arn.lastIndexOf('/') + 1)), code(displayOf(shape)), regex ? code(regex) : '-', ...seenCells(shape.seen), shape.examples.map((e) => code(e)).join(', '), why === null ? 'proposed' : `left out: ${prose(why)}`]);
      if (why !== null) {
        leftOut.push({ what: 'session name', value: shape.examples[0] ?? displayOf(shape), why: `${why} (shape ${displayOf(shape)})`, seen: shape.seen });
        continue;
      }
      if (!alternatives.includes(regex!)) alternatives.push(regex!);
      examples.push(...shape.examples);
    }
  }
  const own = monitored.flatMap((role) =>
    sortedShapes(c.into.get(role.arn)?.names.items ?? new Map()).map((shape) => [code(role.arn.slice(role.arn.lastIndexOf('/') + 1)), code(displayOf(shape)), ...seenCells(shape.seen), shape.examples.map((e) => code(e)).join(', ')]),
  );
  const pattern = alternatives.length === 0 ? null : alternatives.join('|');
  // The pattern must take every name it was made from, as the configuration will match them.
  const matcher = pattern ? wholeNameMatcher(pattern, MAX_SESSION_NAME) : null;
  const unmatched = matcher ? examples.filter((e) => !matcher.test(e)) : [];
  const ok = pattern !== null && namePatternProblem(pattern) === null && unmatched.length === 0;
  const markdown =
    `## Session names (\`sessionNamePattern\`)\n\nThe names the monitored roles' sessions gave the roles they assumed (what session-name checks \`sessionNamePattern\` against; customers see them in their own CloudTrail), by shape: numbers, hex runs and UUIDs folded as the engine folds them, each kept with its class and length. A shape ${oneOffRule(period)} is left out, and so is any e-mail address.\n\n${table(['role', 'shape', 'pattern', ...SEEN_HEADER, 'examples', 'verdict'], rows)}\n` +
    (ok
      ? `Proposed: ${code(pattern!)} (RE2, matched against the whole name). A digit run whose length varied takes one digit more than the longest seen (a growing counter); fixed-length numbers stay fixed.\n\n`
      : `Proposed: nothing${unmatched.length > 0 ? ` (the pattern built did not match ${unmatched.map((e) => code(e)).join(', ')})` : ''}: session-name learns shapes after its learning period instead.\n\n`) +
    `The names the callers gave the monitored roles' own sessions (not checked by \`sessionNamePattern\`, shown for review):\n\n${table(['role', 'shape', ...SEEN_HEADER, 'examples'], own)}\n`;
  return { config: ok ? { sessionNamePattern: pattern } : {}, markdown, leftOut, summary: ok ? `session names: ${pattern}` : 'no session-name pattern proposed' };
}

function sortedShapes(items: ReadonlyMap<string, NameShape>): NameShape[] {
  return [...items.values()].sort((x, y) => y.seen.calls - x.seen.calls);
}
