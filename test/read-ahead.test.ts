import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_INPUT_LIMITS, listInputs, readDocument, type InputLimits } from '../cli/inputs';
import { ReadAhead, type ReadAheadFile } from '../cli/read-ahead';
import type { ParseOptions, ParseResult } from '../lambdas/core/parse';

/** A megabyte, as the replay options count them. */
const MB = 1024 * 1024;

const EXAMPLES = join(__dirname, '..', 'examples', 'AWSLogs');

/** The example log files, with a corrupt gzip file and a vanished one among them. */
async function files(): Promise<ReadAheadFile[]> {
  const dir = mkdtempSync(join(tmpdir(), 'arw-read-ahead-'));
  const broken = join(dir, 'broken.json.gz');
  writeFileSync(broken, 'not gzip');
  const { files: examples } = await listInputs([EXAMPLES]);
  const all = examples.slice(0, 200).map((f) => ({ path: f.path, display: f.display }));
  all.splice(50, 0, { path: broken, display: broken });
  all.splice(120, 0, { path: join(dir, 'vanished.json'), display: 'vanished.json' });
  return all.map((f, index) => ({ ...f, index: index * 2 }));
}

/** Each file's results (or its error) as the caller's thread reads it alone. */
function inline(list: readonly ReadAheadFile[], options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): (ParseResult[] | string)[] {
  return list.map((f) => {
    try {
      return readDocument(f, options, limits);
    } catch (e) {
      return (e as Error).message;
    }
  });
}

async function take(reader: ReadAhead, list: readonly ReadAheadFile[], pause = 0): Promise<(ParseResult[] | string)[]> {
  const out: (ParseResult[] | string)[] = [];
  for (const f of list) {
    try {
      out.push(await reader.results(f.index));
    } catch (e) {
      out.push((e as Error).message);
    }
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return out;
}

describe('the replay reader thread', () => {
  it('gives each file its results once, in any mix of thread and caller, errors included', async () => {
    // Given 200 example files with a corrupt and a vanished one among them
    const list = await files();
    const expected = inline(list);
    // When the caller asks for each as fast as it can (so it parses some itself while the thread starts)
    const reader = new ReadAhead(list, 8);
    try {
      const got = await take(reader, list);
      // Then every file's results are what reading it alone gives, errors at the same files
      expect(got).toStrictEqual(expected);
      expect(got.filter((r) => typeof r === 'string')).toHaveLength(2);
      expect(reader.filesParsedHere).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  });

  it('bounds event times the same way on the thread and in the caller', async () => {
    // Given the files and a bound within the first files' times (the first two files end before it, the others do not)
    const list = await files();
    const options = { notAfter: Date.parse('2026-10-05T00:15:00Z') };
    const reader = new ReadAhead(list, 8, options);
    try {
      // When the thread has parsed ahead, and the caller then takes the files as fast as it can
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const got = await take(reader, list);
      // Then every file's results are what reading it alone with the bound gives: the later records rejected
      expect(got).toStrictEqual(inline(list, options));
      // The thread parsed files too (how many the caller took over depends on the machine's load)
      expect(reader.filesParsedHere).toBeLessThan(list.length);
      const reasons = got.flatMap((r) => (typeof r === 'string' ? [] : r.flatMap((p) => (p.kind === 'rejected' ? [p.reason] : []))));
      expect(reasons.length).toBeGreaterThan(100);
      expect(got.some((r) => typeof r !== 'string' && r.some((p) => p.kind === 'assume-role'))).toBe(true);
      expect(reasons.every((reason) => reason.endsWith('is in the future (after 2026-10-05T00:15:00Z)'))).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('shares the parsing when the caller is the faster side', async () => {
    // Given the files, and the thread started with 8 files parsed ahead
    const list = await files();
    const reader = new ReadAhead(list, 8);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // When a caller with nothing else to do takes them all
      const got = await take(reader, list);
      // Then the results are the same, and the caller parsed some files itself rather than wait
      expect(got).toStrictEqual(inline(list));
      expect(reader.filesParsedHere).toBeGreaterThan(0);
      expect(reader.filesParsedHere).toBeLessThanOrEqual(list.length - 8);
    } finally {
      await reader.close();
    }
  });

  it('rejects files that inflate past the cap on the thread as in the caller, and reads the rest', async () => {
    // Given the files with three small gzip bombs among them (valid empty log files that inflate to 3 MB)
    const dir = mkdtempSync(join(tmpdir(), 'arw-read-ahead-'));
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(3 * MB, ' '), Buffer.from(']}')]));
    const list = (await files()).slice(0, 70);
    for (const at of [3, 30, 60]) {
      const path = join(dir, `bomb-${at}.json.gz`);
      writeFileSync(path, bomb);
      list.splice(at, 0, { index: 1_000 + at, path, display: path });
    }
    const limits = { ...DEFAULT_INPUT_LIMITS, maxFileBytes: 1 * MB };
    // When they are read with a 1 MB cap, the thread parsing ahead
    const reader = new ReadAhead(list, 8, {}, limits);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const got = await take(reader, list);
      // Then each bomb is refused with the cap, whichever thread read it, and the rest are as read alone
      expect(got).toStrictEqual(inline(list, {}, limits));
      expect(got.filter((r) => r === 'inflates to more than 1 MB (--max-file-mb)')).toHaveLength(3);
    } finally {
      await reader.close();
    }
  });

  it.each([
    ['faster', 0],
    ['slower', 2],
  ])('gives each file its results once when the text parsed ahead is capped below one file (caller the %s side)', async (_, pause) => {
    // Given the files and a budget ahead smaller than any file: each is parsed alone
    const list = (await files()).slice(0, 60);
    const reader = new ReadAhead(list, 64, {}, DEFAULT_INPUT_LIMITS, 1);
    try {
      // When the caller takes them
      const got = await take(reader, list, pause);
      // Then nothing waits for ever, and every file's results are what reading it alone gives
      expect(got).toStrictEqual(inline(list));
    } finally {
      await reader.close();
    }
  });

  it('leaves the parsing to the thread when the caller is the slower side', async () => {
    // Given the files and a caller that takes a while over each
    const list = (await files()).slice(0, 40);
    const reader = new ReadAhead(list, 64);
    try {
      // (the thread has started and parsed ahead before the first is asked for)
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const got = await take(reader, list, 2);
      // Then the results are the same, and the caller parsed none itself
      expect(got).toStrictEqual(inline(list));
      expect(reader.filesParsedHere).toBe(0);
    } finally {
      await reader.close();
    }
  });
});
