/** The command line as the tests drive it: in process, its output captured, in a scratch folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../cli/main';
import { CASE_BASE_CONFIG } from '../detectors/cases';

/** A fresh temporary folder. */
export function tempDir(prefix = 'arw-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `config.json` in `dir`: the cases' base configuration with `extra` over it. */
export function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...CASE_BASE_CONFIG, ...extra }));
  return file;
}

/** Runs the CLI with `argv`; its exit code and what it wrote to stdout and stderr. */
export async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), errIsTty: false };
  const code = await main(argv, io);
  return { code, out, err };
}
