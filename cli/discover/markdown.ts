/**
 * The evidence document's Markdown: tables whose cells may hold what records carry (role and
 * session names, user agents, addresses), which whoever held the credentials chose. A value is
 * shown in a code span, bare when it is a plain token, else as an escaped JSON string, and never
 * with a character that ends the span or the cell, so no name can add a row, a link or a heading.
 */
import { quoted } from '../../lambdas/core/text';

/** What may be shown bare in a code span: an ARN, an address, a region, a shape, a pattern. */
const PLAIN = /^[\w.:/@+=,*<>{}[\]\\^$?()-]*$/;

/** A value from a record (or built from one) as a table cell: a code span, escaped as needed. */
export function code(value: string, max = 160): string {
  const shown = PLAIN.test(value) && value.length <= max ? value : quoted(value, max);
  // `|` splits a table cell and a backtick ends the span, even inside one: JSON-escape both.
  return `\`${shown.replace(/\|/g, '\\u007c').replace(/`/g, '\\u0060')}\``;
}

/**
 * Prose for a cell, ours but often holding a value from a record (a role name, a reason quoting a
 * user agent): escaped as {@link text} escapes it, so a crafted value cannot become a link.
 */
export function prose(value: string): string {
  return text(value);
}

/**
 * Text that quotes a record's values (an alert's title) for a cell: every character Markdown
 * gives a meaning escaped, and what GitHub would link, so a quoted name cannot become emphasis, a
 * link, markup or a new cell.
 */
export function text(value: string): string {
  return value
    .replace(/[\\`*_[\]<>|#~!()]/g, '\\$&')
    .replace(/[\r\n]+/g, ' ')
    // GitHub links bare URLs and www. names too.
    .replaceAll('://', ':\\/\\/')
    .replace(/www\./gi, (w) => `${w.slice(0, 3)}\\.`);
}

/** A GitHub-flavoured Markdown table; `none` is said instead when there are no rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], none = '_none_'): string {
  if (rows.length === 0) return `${none}\n`;
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return `${[line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')}\n`;
}

/** A UTC time for a cell: `2026-10-05 14:03`. */
export function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** A UTC day for prose: `2026-10-05`. */
export function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `n` with a thousands separator, for counts in prose and cells. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
