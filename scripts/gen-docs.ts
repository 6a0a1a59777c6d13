/**
 * Generates the README's detector and configuration tables from the code (the registry,
 * CONFIG_KEYS, and DEPLOY_KEYS for the deployment keys), between `<!-- generated:NAME -->`
 * markers. `--check` fails when the README is stale instead of writing it (the test suite runs that).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTORS } from '../lambdas/detectors';
import { CONFIG_KEYS } from '../lambdas/core/config';
import { DEPLOY_KEYS } from '../lib/config';

const README = join(__dirname, '..', 'README.md');

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The generated sections, by marker name. */
export function generatedSections(): Record<string, string> {
  const detectors = [
    '| id | severity | fires when | runbook |',
    '|---|---|---|---|',
    ...DETECTORS.map((d) => `| \`${d.id}\` | ${d.severity} | ${cell(d.description)} | ${cell(d.runbook)} |`),
  ].join('\n');
  const config = [
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...CONFIG_KEYS.map((k) => `| \`${k.name}\` | ${cell(k.type)} | ${k.required ? '*required*' : `\`${JSON.stringify(k.default)}\``} | ${cell(k.description)}${k.min !== undefined ? ` Range ${k.min}–${k.max}.` : ''} |`),
  ].join('\n');
  const deployConfig = [
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...DEPLOY_KEYS.map((k) => `| \`${k.name}\` | ${cell(k.type)} | ${k.defaultText ? cell(k.defaultText) : `\`${JSON.stringify(k.default)}\``} | ${cell(k.description)}${k.min !== undefined ? ` Range ${k.min}–${k.max}.` : ''} |`),
  ].join('\n');
  return { detectors, config, 'deploy-config': deployConfig };
}

/** The README with every generated section replaced. */
export function renderReadme(text: string): string {
  let out = text;
  for (const [name, body] of Object.entries(generatedSections())) {
    const pattern = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) throw new Error(`README.md has no <!-- generated:${name} --> … <!-- /generated:${name} --> section`);
    out = out.replace(pattern, (_m, open: string, close: string) => `${open}\n${body}\n${close}`);
  }
  return out;
}

if (require.main === module) {
  const current = readFileSync(README, 'utf8');
  const next = renderReadme(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write('README.md is out of date: run `npm run docs`\n');
      process.exit(1);
    }
  } else if (next !== current) {
    writeFileSync(README, next);
    process.stderr.write('README.md updated\n');
  }
}
