/** Process entry of the `assumerole-watch` command: runs {@link main} and sets the exit code. */
import { main } from './main';

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // The reader went away (`| head`): stop quietly, as Unix tools do.
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`assumerole-watch: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
