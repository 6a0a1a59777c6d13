/**
 * Writes docs/report.png: the top of the demo's `replay --report` page (the summary, the role
 * charts, the alerts chart and the what-if table), as Debian's Chromium renders it.
 *
 *   npx tsx scripts/report-screenshot.ts [out.png]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { readConfig } from '../cli/main';
import { replay } from '../cli/replay';
import { createReport } from '../cli/report';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';

const ROOT = join(__dirname, '..');

async function main(out: string): Promise<void> {
  const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  const config = readConfig(join(ROOT, 'examples', 'config.json'));
  const session = createReport(config);
  const input = join(ROOT, 'examples', 'AWSLogs');
  const report = await replay({ paths: [input], config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, ...session.hooks });
  const file = join(mkdtempSync(join(tmpdir(), 'arw-report-')), 'report.html');
  const bytes = session.write(file, report, { inputs: [relative(ROOT, input)], configFile: 'examples/config.json' });
  const browser = await puppeteer.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Down to the end of the what-if table: the alert list and the top tables are text.
    const bottom = await page.$eval('#what-if', (el) => {
      const box = el.getBoundingClientRect();
      return Math.ceil(box.bottom + window.scrollY + 8);
    });
    await page.screenshot({ path: out as `${string}.png`, clip: { x: 0, y: 0, width: 1200, height: bottom } });
  } finally {
    await browser.close();
  }
  process.stdout.write(`report ${bytes} bytes; ${out}: ${statSync(out).size} bytes\n`);
}

/** The browser's window (the script runs there, not in Node). */
declare const window: { readonly scrollY: number };

main(process.argv[2] ?? join(ROOT, 'docs', 'report.png')).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
