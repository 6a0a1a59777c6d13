/** Process entry of the `assumerole-watch` command: runs {@link main} and sets the exit code. */
import type { main as Main } from './main';

/**
 * An error nothing caught (thrown in a stream's callback, a promise nobody awaited) would end
 * Node with exit code 1, which this command means as "alerts found": it ends with 2, as any
 * other failure to read the input does. Installed before anything else is loaded.
 */
function fail(e: unknown): never {
  process.stderr.write(`assumerole-watch: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // The reader went away (`| head`): stop quietly, as Unix tools do.
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// Loaded after the handlers are in place, so an error while loading ends with 2 too.
const { main } = require('./main') as { main: typeof Main };

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`assumerole-watch: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
