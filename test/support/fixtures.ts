/** Loads the public CloudTrail fixtures (test/fixtures, a copy of the shared fixture set with its licences) for tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as yaml from 'js-yaml';

/** Root of the shared fixtures. */
export const FIXTURES = join(__dirname, '..', 'fixtures', 'cloudtrail');

/** One raw fixture record and where it came from. */
export interface FixtureRecord {
  readonly file: string;
  readonly index: number;
  readonly record: unknown;
}

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

/**
 * Every record in the fixtures: JSON arrays (stratus-red-team), JSON Lines (aws-docs), and the
 * `Tests[].Log` / `Logs[]` payloads of Panther's YAML files.
 */
export function fixtureRecords(): FixtureRecord[] {
  const out: FixtureRecord[] = [];
  for (const path of walk(FIXTURES)) {
    const file = relative(FIXTURES, path);
    const text = readFileSync(path, 'utf8');
    let records: unknown[] = [];
    if (path.endsWith('.json')) records = JSON.parse(text) as unknown[];
    else if (path.endsWith('.jsonl')) records = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
    else if (path.endsWith('.yml')) {
      const doc = yaml.load(text) as { Tests?: { Log?: unknown }[]; Logs?: unknown[] };
      records = [...(doc.Tests ?? []).map((t) => t.Log), ...(doc.Logs ?? [])].filter((r) => r !== undefined);
    }
    records.forEach((record, index) => out.push({ file, index, record }));
  }
  return out;
}

/** The first fixture record in `file` matching `predicate`, as a fresh copy. */
export function fixture(file: string, predicate: (r: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
  const found = fixtureRecords().find((f) => f.file === file && predicate(f.record as Record<string, unknown>));
  if (!found) throw new Error(`no fixture record in ${file} matches`);
  return structuredClone(found.record) as Record<string, unknown>;
}
