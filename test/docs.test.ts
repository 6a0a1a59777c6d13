/**
 * The docs stay true to the code and usable as a first read: every generated block of README.md
 * and docs/*.md is what `npm run docs` renders (the bench block, written by `npm run bench`, is in
 * the bench's format), the README stays short, and no relative link points nowhere.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { blockNames, docFiles, generatedSections, parseBenchBlock, renderBenchBlock, renderDoc } from '../scripts/gen-docs';

const ROOT = join(__dirname, '..');
const README_MAX_BYTES = 15_000;

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The text outside fenced code blocks and inline code, where markdown links live. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a markdown file's headings give, numbered as GitHub numbers repeats. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links of a markdown file that point to a missing file or a missing heading. */
function brokenLinks(file: string): string[] {
  const text = read(file);
  const broken: string[] = [];
  for (const m of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = path === '' ? join(ROOT, file) : normalize(join(ROOT, dirname(file), decodeURIComponent(path)));
    if (relative(ROOT, resolved).startsWith('..') || !existsSync(resolved)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${target} (no such heading)`);
    }
  }
  return broken;
}

describe('docs', () => {
  const files = docFiles(ROOT);
  const sections = generatedSections(ROOT);

  it('has a README and a page per subject in docs/', () => {
    expect(files).toContain('README.md');
    expect(files.filter((f) => f.startsWith('docs/')).length).toBeGreaterThan(0);
  });

  it.each(files)('%s has every generated block as the code renders it (run `npm run docs` when this fails)', (file) => {
    const current = read(file);
    expect(renderDoc(file, current, sections)).toBe(current);
  });

  it('finds a generated block that is stale', () => {
    const current = read('docs/detectors.md');
    const stale = current.replace(/(<!-- generated:detectors -->\n)\|[^\n]*/, '$1| stale |');
    expect(stale).not.toBe(current);
    expect(renderDoc('docs/detectors.md', stale, sections)).toBe(current);
  });

  it('refuses a generated block that nothing renders, or one in the wrong file', () => {
    expect(() => renderDoc('docs/deploy.md', '<!-- generated:nonsense -->\n<!-- /generated:nonsense -->\n', sections)).toThrow(/nothing generates a "nonsense" block/);
    expect(() => renderDoc('docs/deploy.md', '<!-- generated:detectors -->\n<!-- /generated:detectors -->\n', sections)).toThrow(/belongs in docs\/detectors.md/);
    expect(() => blockNames('<!-- generated:config -->\n', 'x.md')).toThrow(/never closed/);
  });

  it('keeps the bench block of docs/performance.md in the format the bench writes', () => {
    const body = /<!-- generated:bench -->\n([\s\S]*?)\n<!-- \/generated:bench -->/.exec(read('docs/performance.md'))?.[1];
    expect(body).toBeDefined();
    const run = parseBenchBlock(body!);
    expect(run.rows.length).toBeGreaterThan(0);
    expect(renderBenchBlock(run)).toBe(body);
  });

  it('refuses a bench block whose verdict count or rows are not as the bench writes them', () => {
    const run = { date: '2026-12-01', node: 'v20.20.2', cpus: 2, rows: [{ section: 'units', figure: 'write 0.4 WRU | per event', target: '≤ 1.0', pass: false }] };
    const body = renderBenchBlock(run);
    expect(parseBenchBlock(body)).toEqual(run);
    expect(renderBenchBlock(parseBenchBlock(body.replace('0 targets met, 1 missed', '1 targets met, 0 missed')))).not.toBe(body.replace('0 targets met, 1 missed', '1 targets met, 0 missed'));
    expect(() => parseBenchBlock(body.replace('| MISS |', '| maybe |'))).toThrow(/bench row 1/);
    expect(() => parseBenchBlock(body.replace('Full run', 'Quick run'))).toThrow(/header/);
  });

  it(`keeps README.md within ${README_MAX_BYTES.toLocaleString('en-US')} bytes, a first read`, () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it.each(files)('%s links only to files and headings that exist', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it.each(files)('%s has no diary wording (today, yesterday): figures carry their date', (file) => {
    expect(read(file)).not.toMatch(/\b(today|yesterday)\b/i);
  });
});
