/**
 * Attacker-chosen strings inside our own prose (alert titles and causes). Whoever holds the
 * credentials chooses session names, user agents, role and event names, error codes, regions and
 * more; shown bare, `x Severity: LOW`, `<!channel>` or a link would read as our words. Each is
 * shown as a JSON string instead: quoted, and escaped so that it cannot end the quote early,
 * break or reorder the line, hide, or be taken for markup or a link.
 */

/** Characters of a quoted value that are escaped: outside printable ASCII, the quote and backslash, markup. */
const ESCAPED = /[^\x20-\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]/g;

/** JSON's short escapes. */
const SHORT: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` as a JSON string literal that holds printable ASCII only: `"`, `\` and controls escaped
 * as JSON does, and also `<`, `>` and `&` (as Go's encoding/json does for HTML: `<!channel>` is
 * no Slack broadcast, `<a>` no tag), every character beyond ASCII (spaces that look like ours,
 * bidi overrides, invisible and combining characters, look-alike letters) as `\uXXXX`, and the
 * `/` of `://` as `\/` (JSON's optional escape), so no client turns it into a link.
 * `JSON.parse` gives the text back; a text longer than `max` is cut and ends in `…`.
 */
export function quoted(text: string, max = 256): string {
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return `"${shown.replace(ESCAPED, escapeChar).replaceAll('://', ':\\/\\/')}"`;
}
