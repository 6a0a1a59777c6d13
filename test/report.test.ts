/**
 * `replay --report FILE.html`, opened in a real headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core, which downloads nothing): the page renders without an error, loads nothing but
 * itself, draws a uPlot chart per monitored role and one of the alerts, holds the demo's busiest
 * caller and address, its what-if ×1 column is the replay's count, and attacker-chosen text
 * (session names, user agents, role ARNs of forged records) is shown as text and never runs.
 */
import { execFileSync } from 'node:child_process';
import Module from 'node:module';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page, PuppeteerNode } from 'puppeteer-core';
import { readConfig } from '../cli/main';
import { replay, type ReplayReport } from '../cli/replay';
import type { WindowPoint } from '../cli/report-page';
import { createReport, escapeHtml, jsonForScript, ReportCollector, scaledThreshold, type Collected } from '../cli/report';
import { loadConfig, type CompiledConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { windowOf } from '../lambdas/core/time';
import type { Alert } from '../lambdas/engine/alerts';
import { DETECTORS } from '../lambdas/detectors';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { BACKEND_ROLE, backendSession, iamUser, intoOutbound, outboundSession, outToCustomer, type Json } from './support/case-records';

/**
 * puppeteer-core is an ES module only, which Jest's module loader cannot require before Node
 * 24.9 (and Jest replaces `createRequire` with its own); Node's loader requires ES modules from
 * Node 20.19 on, so puppeteer-core is loaded by it, outside Jest's module registry.
 */
const puppeteer = ((Module as unknown as { _load(request: string, parent: null, isMain: boolean): { default: PuppeteerNode } })._load(require.resolve('puppeteer-core'), null, false)).default;

/** What the tests read of a canvas in the page (the test code has no DOM types). */
interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
/** The page's document, as far as the tests read it. */
declare const document: { readonly documentElement: { readonly scrollHeight: number } };

const EXAMPLES = join(__dirname, '..', 'examples');
const VIEWPORT = { width: 1200, height: 900 };

/** Debian's Chromium, or a message saying how to get it (never a hang, never a download). */
function chromiumPath(): string {
  let path = '';
  try {
    path = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    // `which` exits 1 when it finds nothing.
  }
  if (path === '') throw new Error('chromium is not installed: test/report.test.ts opens the report in Debian\'s Chromium (apt-get install chromium; CI installs it)');
  return path;
}

/** A replay with its report written. */
interface Built {
  readonly file: string;
  readonly bytes: number;
  readonly report: ReplayReport;
  readonly alerts: readonly Alert[];
  readonly collected: Collected;
}

/** Replays `paths` with the report's hooks, and writes the page into a fresh folder. */
async function buildReport(paths: readonly string[], config: CompiledConfig): Promise<Built> {
  const session = createReport(config);
  const alerts: Alert[] = [];
  const onAlert = (alert: Alert): void => {
    alerts.push(alert);
    session.hooks.onAlert(alert);
  };
  const report = await replay({ paths, config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, onCalls: session.hooks.onCalls, onAlert });
  const file = join(mkdtempSync(join(tmpdir(), 'arw-report-')), 'report.html');
  const bytes = session.write(file, report, { inputs: paths, configFile: 'config.json' });
  return { file, bytes, report, alerts, collected: session.collector.collected() };
}

/** A page opened on `file`, with every request, console error, page error and dialog it gave. */
interface Opened {
  readonly page: Page;
  readonly requests: string[];
  readonly errors: string[];
  readonly dialogs: string[];
}

describe('replay --report', () => {
  let browser: Browser;
  let demo: Built;
  let opened: Opened;

  /** Opens `file` with every request recorded and all but the page itself refused. */
  async function open(file: string): Promise<Opened> {
    const url = pathToFileURL(file).href;
    const page = await browser.newPage();
    await page.setViewport(VIEWPORT);
    const requests: string[] = [];
    const errors: string[] = [];
    const dialogs: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      requests.push(request.url());
      if (request.url() === url) void request.continue();
      else void request.abort();
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    return { page, requests, errors, dialogs };
  }

  beforeAll(async () => {
    const executablePath = chromiumPath();
    browser = await puppeteer.launch({ executablePath, args: ['--no-sandbox', '--headless=new'], timeout: 30_000, protocolTimeout: 30_000 });
    demo = await buildReport([join(EXAMPLES, 'AWSLogs')], readConfig(join(EXAMPLES, 'config.json')));
    opened = await open(demo.file);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('writes the demo report as one self-contained file', () => {
    // Given the demo's report; then it is one file that names no other to load
    const html = readFileSync(demo.file, 'utf8');
    expect(statSync(demo.file).size).toBe(demo.bytes);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-`);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:|\/\/)/i);
  });

  it('renders the demo report with no console error, no page error and no request but the page itself', () => {
    // Given the demo report opened in Chromium; then nothing went wrong and nothing else was asked for
    expect(opened.errors).toEqual([]);
    expect(opened.dialogs).toEqual([]);
    expect(opened.requests).toEqual([pathToFileURL(demo.file).href]);
  });

  it('draws a uPlot canvas per chart, each with data on it', async () => {
    // Given the demo (two outbound roles, alerts from every detector); when the canvases are read
    const charts = await opened.page.$$eval('.chart', (els) => els.map((el) => ({ id: el.id, canvases: el.querySelectorAll('.uplot canvas').length })));
    const pixels = await opened.page.$$eval('.chart .uplot canvas', (canvases) =>
      (canvases as unknown as Canvas[]).map((canvas) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        let blue = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 0) painted += 1;
          // The bars' fill (#2a6fb0 at 35 %) and stroke: clearly blue, not the grey of the grid.
          if (data[i + 3]! > 0 && data[i + 2]! > data[i]! + 60) blue += 1;
        }
        return { painted, blue, size: canvas.width * canvas.height };
      }),
    );
    // Then each chart holds one canvas, and each canvas has its data drawn, not only its axes
    expect(charts.map((c) => c.id)).toEqual(['volume-0', 'volume-1', 'alerts-chart']);
    expect(charts.every((c) => c.canvases === 1)).toBe(true);
    for (const p of pixels) expect(p.painted).toBeGreaterThan(p.size * 0.02);
    expect(pixels[0]!.blue).toBeGreaterThan(500);
    expect(pixels[1]!.blue).toBeGreaterThan(500);
  });

  it('takes a screenshot of the whole page as a PNG of its size', async () => {
    // Given the page's height; when a full-page screenshot is taken
    const height = await opened.page.evaluate(() => document.documentElement.scrollHeight);
    const png = Buffer.from(await opened.page.screenshot({ fullPage: true, type: 'png' }));
    // Then it is a PNG of the page's width and height, and not a blank one
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(VIEWPORT.width);
    expect(png.readUInt32BE(20)).toBe(height);
    expect(height).toBeGreaterThan(2_000);
    expect(png.length).toBeGreaterThan(100_000);
  });

  it('lists the demo\'s busiest caller, source address and target account first', async () => {
    // Given the demo, where outbound-eu's sessions make most calls, from nat-eu's first address
    const first = (table: string): Promise<string[]> => opened.page.$eval(`#${table} tbody tr`, (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
    // Then the tables lead with them
    expect((await first('top-callers'))[0]).toBe('arn:aws:sts::210987654321:assumed-role/outbound-eu');
    expect((await first('top-addresses')).slice(0, 3)).toEqual(['54.247.81.112', 'ip', 'nat-eu']);
    expect((await first('top-targets'))[0]).toMatch(/^\d{12}$/);
    expect(await opened.page.$eval('#top-agents tbody tr td', (td) => td.textContent)).toMatch(/^aws-sdk-js\//);
  });

  it('shows in the what-if ×1 column the alerts the replay raised, for every detector', async () => {
    // Given the ×1 cells, one per threshold of a threshold detector and one per other detector
    const cells = await opened.page.$$eval('td[data-factor="1"]', (tds) => tds.map((td) => ({ detector: td.getAttribute('data-detector')!, key: td.getAttribute('data-key'), alerts: Number(td.firstChild!.textContent!.replace(/,/g, '')) })));
    // Then each is the replay's count for its detector
    for (const d of DETECTORS) {
      const mine = cells.filter((c) => c.detector === d.id);
      expect(mine.length).toBeGreaterThan(0);
      for (const cell of mine) expect({ detector: cell.detector, key: cell.key, alerts: cell.alerts }).toEqual({ detector: d.id, key: cell.key, alerts: demo.report.alertsByDetector[d.id] ?? 0 });
    }
    expect(cells.filter((c) => c.detector === 'call-volume').map((c) => c.key)).toEqual(['volumeMaxCalls', 'volumeMaxTargetAccounts', 'volumeSpikeFactor']);
    expect(cells.filter((c) => c.detector === 'failed-assume').map((c) => c.key)).toEqual(['failedAssumeMaxCalls', 'failedAssumeDailyMaxCalls', 'volumeSpikeFactor']);
  });

  it('draws the spike line call-volume judged the demo\'s burst by, from the end of the learning period', () => {
    // Given the demo's call-volume alert, which names the learned peak it was judged by
    const alert = demo.alerts.find((a) => a.detector === 'call-volume')!;
    const role = demo.collected.roles.find((r) => alert.dedupKey === `call-volume|${r.role}`)!;
    const at = (time: number): WindowPoint => role.points[windowOf(time, 60) / role.span - role.first]!;
    const burst = at(Date.parse(alert.evidence.eventTimes[0]!));
    // Then the line at the burst's window is the spike factor (3) times that peak, and the alert is marked there
    expect(role.span).toBe(1);
    expect(burst.spike).toBe(3 * (alert.evidence.details.learnedPeak as number));
    expect(burst.alerts).toBe(1);
    expect(burst.sliding).toBeGreaterThan(burst.spike!);
    // (the report reads 7 days of peaks, as call-volume says it learns)
    expect(DETECTORS.find((d) => d.id === 'call-volume')!.description).toContain('busiest window of the previous 7 days');
    // And there is no line while the role was learning (learningPeriodDays 2, from its first call)
    const learnedFrom = demo.report.firstEventTime! + 2 * 86_400_000;
    const before = role.points.filter((_, i) => (role.first + i + 1) * 3_600_000 <= learnedFrom);
    expect(before.length).toBeGreaterThanOrEqual(47);
    expect(before.every((p) => p.spike === null)).toBe(true);
    expect(role.points.slice(before.length + 1).every((p) => p.spike !== null || p.calls === 0)).toBe(true);
  });

  it('scales the what-if thresholds by the factors, within what each key takes', async () => {
    // Given the demo's failed-assume daily ceiling (50) and the spike factor (3, at least 1.1)
    const row = await opened.page.$$eval('td[data-detector="failed-assume"][data-key="failedAssumeDailyMaxCalls"] small', (els) => els.map((e) => e.textContent));
    // Then the values tried are the ceiling's multiples, rounded to whole calls
    expect(row).toEqual(['25', '38', '50', '75', '100']);
    expect(scaledThreshold('volumeSpikeFactor', 2, 0.5)).toBe(1.1);
    expect(scaledThreshold('failedAssumeMaxCalls', 1, 0.5)).toBe(1);
  });

  it('shows attacker-chosen session names, user agents and role ARNs as text: no dialog, no error, no request', async () => {
    // Given forged records: a session named to close a script, a user agent carrying an image
    // with an onerror handler, and a monitored-looking role whose ARN closes the data block
    const dir = mkdtempSync(join(tmpdir(), 'arw-report-hostile-'));
    const closing = '</script><script>alert(1)</script>';
    const agent = '<img src=x onerror="alert(2);document.title=\'pwned\'">';
    const forgedRole = 'arn:aws:iam::210987654321:role/outbound-</script><script>alert(3)</script>\u2028<!--';
    const outbound = outToCustomer({ time: '2026-03-02T10:00:00Z', caller: outboundSession(closing), userAgent: agent }) as Json;
    const into = intoOutbound({ time: '2026-03-02T10:05:00Z', sessionName: closing, userAgent: agent });
    const forged = structuredClone(outToCustomer({ time: '2026-03-02T10:10:00Z', userAgent: agent })) as Json & { userIdentity: { sessionContext: { sessionIssuer: { arn: string } } } };
    forged.userIdentity.sessionContext.sessionIssuer.arn = forgedRole;
    writeFileSync(join(dir, 'calls.jsonl'), [outbound, into, forged].map((r) => JSON.stringify(r)).join('\n'));
    const { file } = await buildReport([join(dir, 'calls.jsonl')], loadConfig(CASE_BASE_CONFIG));
    // When the page is opened
    const hostile = await open(file);
    try {
      // Then nothing ran and nothing was loaded, and the text is there, as text
      expect(hostile.dialogs).toEqual([]);
      expect(hostile.errors).toEqual([]);
      expect(hostile.requests).toEqual([pathToFileURL(file).href]);
      expect(await hostile.page.title()).toBe('assumerole-watch replay report');
      expect(await hostile.page.$$eval('img', (imgs) => imgs.length)).toBe(0);
      expect(await hostile.page.$$eval('script', (scripts) => scripts.length)).toBe(3);
      expect(await hostile.page.$eval('#top-callers', (t) => t.textContent)).toContain(closing);
      expect(await hostile.page.$eval('#top-agents', (t) => t.textContent)).toContain(agent);
      expect(await hostile.page.$eval('#volume', (s) => s.textContent)).toContain('outbound-</script><script>alert(3)</script>\\u2028<!--');
      // And the data block still parses, the forged role in it as it was
      const data = await hostile.page.$eval('#report-data', (s) => JSON.parse(s.textContent!) as { volume: { role: string }[] });
      expect(data.volume.map((v) => v.role)).toContain(forgedRole);
      expect(await hostile.page.$$eval('.chart .uplot canvas', (c) => c.length)).toBeGreaterThan(0);
    } finally {
      await hostile.page.close();
    }
  });

  it('renders a replay without a relevant call: no chart, no error', async () => {
    // Given a file with nothing about a monitored role
    const dir = mkdtempSync(join(tmpdir(), 'arw-report-empty-'));
    writeFileSync(join(dir, 'calls.jsonl'), '');
    const { file } = await buildReport([join(dir, 'calls.jsonl')], loadConfig(CASE_BASE_CONFIG));
    // When the page is opened
    const empty = await open(file);
    try {
      // Then it says so, without an error
      expect(empty.errors).toEqual([]);
      expect(await empty.page.$$eval('.uplot', (c) => c.length)).toBe(0);
      expect(await empty.page.$eval('#volume', (s) => s.textContent)).toContain('No monitored role');
    } finally {
      await empty.page.close();
    }
  });
});

describe('the report\'s escaping', () => {
  it('escapes text for HTML', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
  });

  it('writes JSON that cannot end its script element and parses back to the same value', () => {
    // Given a value with every character that could end or break a script element
    const value = { s: '</script><!--<script>&\u2028\u2029' };
    // When written for a script element
    const json = jsonForScript(value);
    // Then none of them is left as is, and the JSON means the same
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});

/** A replay report of nothing, for pages written without a replay. */
const EMPTY_REPORT: ReplayReport = {
  files: 0, records: 0, ignored: 0, relevant: 0, duplicates: 0, late: 0, releasedEarly: 0, rejected: [], rejectedTotal: 0, unreadable: [],
  findings: 0, alertsByDetector: {}, alerts: 0, suppressed: 0, belowSeverity: 0, exempted: 0, exemptions: {}, firstEventTime: null, lastEventTime: null, stopped: null,
} as unknown as ReplayReport;

describe('the report collector', () => {
  /** A record as replay hands it to the collector. */
  const parsed = (record: Json): ParsedCall => {
    const result = parseRecord(record);
    if (result.kind === 'rejected' || result.kind === 'ignored') throw new Error(`not a relevant call: ${JSON.stringify(result)}`);
    return result;
  };

  it('keeps its tables bounded under a flood of distinct callers and user agents, the busiest caller first with its exact count', async () => {
    // Given 5,000 forged IAM users with a user agent each, and the backend's 100 calls among them
    const collector = new ReportCollector(loadConfig(CASE_BASE_CONFIG), { detectors: [] });
    const calls: ParsedCall[] = [];
    for (let i = 0; i < 5_000; i++) {
      const time = new Date(Date.parse('2026-03-02T00:00:00Z') + i * 1_000).toISOString().replace('.000Z', 'Z');
      calls.push(parsed(intoOutbound({ time, caller: iamUser(`u${i}`), userAgent: `agent/${i}` })));
      if (i % 50 === 0) calls.push(parsed(intoOutbound({ time, caller: backendSession(`task${i}`) })));
    }
    // When the collector is fed in batches of 100
    for (let i = 0; i < calls.length; i += 100) await collector.onCalls(calls.slice(i, i + 100));
    const { callers, agents } = collector.collected();
    // Then the tables show their busiest rows, say that they dropped some, and the backend leads
    expect(callers.rows[0]).toMatchObject({ key: BACKEND_ROLE.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'), count: 100 });
    expect(callers.rows).toHaveLength(15);
    expect(callers.dropped).toBe(1);
    expect(callers.distinct).toBeGreaterThanOrEqual(5_001);
    expect(agents.dropped).toBe(1);
  });

  it('marks the what-if runs that outgrew their share of --max-state-items as incomplete, and still writes the page', async () => {
    // Given a share of one state item per what-if run (26 of them)
    const session = createReport(loadConfig(CASE_BASE_CONFIG), { maxStateItems: 26 });
    // When a few calls out of the outbound role are collected
    await session.hooks.onCalls([0, 1, 2].map((m) => parsed(outToCustomer({ time: `2026-03-02T10:0${m}:00Z` }))));
    const { whatIf } = session.collector.collected();
    // Then call-volume's runs (its window counts, peaks and the role's first-seen time) stopped
    // and say when and why; failed-assume's (one item: the role's first-seen time) did not
    const cells = (detector: string): { stopped: string | null }[] => whatIf.find((w) => w.detector === detector)!.params.flatMap((p) => p.cells);
    expect(cells('call-volume')).toHaveLength(15);
    expect(new Set(cells('call-volume').map((c) => c.stopped))).toEqual(new Set(['stopped at 2026-03-02T10:02:00.000Z: more than 1 state items live']));
    expect(cells('failed-assume').every((c) => c.stopped === null)).toBe(true);
    // And the page marks each of call-volume's cells
    const file = join(mkdtempSync(join(tmpdir(), 'arw-report-')), 'report.html');
    session.write(file, EMPTY_REPORT);
    expect(readFileSync(file, 'utf8').match(/>incomplete</g)).toHaveLength(15);
  });

  it('charts a long replay of short windows in at most 2,000 points, each the busiest of its windows', async () => {
    // Given two calls a day, a minute apart, for 400 days, counted in 1-minute windows
    const collector = new ReportCollector(loadConfig({ ...CASE_BASE_CONFIG, volumeWindowMinutes: 1 }), { detectors: [] });
    for (let day = 0; day < 400; day++) {
      const at = (minute: number): string => new Date(Date.parse('2025-01-01T12:00:00Z') + day * 86_400_000 + minute * 60_000).toISOString().replace('.000Z', 'Z');
      // When each day is fed as a batch
      await collector.onCalls([parsed(outToCustomer({ time: at(0) })), parsed(outToCustomer({ time: at(1) }))]);
    }
    // Then the role's chart covers the 400 days in at most 2,000 points, each showing its busiest window (1 call), not their sum
    const [role] = collector.collected().roles;
    expect(role!.total).toBe(800);
    expect(role!.points.length).toBeLessThanOrEqual(2_000);
    expect(role!.span * role!.points.length).toBeGreaterThanOrEqual(399 * 1_440);
    expect(Math.max(...role!.points.map((p) => p.calls))).toBe(1);
    expect(role!.points.filter((p) => p.calls > 0)).toHaveLength(400);
  });
});
