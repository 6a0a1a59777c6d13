/**
 * Turning configuration values that may arrive as strings (`cdk -c key=value`, environment
 * variables) into what they mean, and naming them in errors. Shared by the detection keys
 * (`config.ts`) and the deployment keys (`lib/config.ts`), so both read a value the same way.
 */

/** A list of strings from an array, a JSON array string, or a comma-separated string. */
export function toList(value: unknown): string[] | undefined {
  if (typeof value === 'string') {
    const parsed = parseJsonOr(value);
    if (Array.isArray(parsed)) return toList(parsed);
    if (typeof parsed !== 'string') return undefined;
    return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v: string) => v.trim());
  return undefined;
}

/** The JSON a string holds when it looks like an array or object, else the string itself. */
export function parseJsonOr(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('[') && !t.startsWith('{')) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

/** A value as an error message quotes it: JSON, at most 80 characters. */
export function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The candidate a misspelt key most likely meant ("did you mean"), if any is close enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** An AWS region name (`eu-west-1`, `us-gov-west-1`): configuration checks them, console links embed them. */
export function isRegionName(text: string): boolean {
  return REGION_NAME.test(text);
}

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
