/**
 * The long mutation-fuzzing run: real CloudTrail records from test/fixtures mutated
 * (field deletions, type swaps, 1 MiB values, lone surrogates, nesting bombs, truncation, byte
 * flips) through every container the parser reads, beside known-good records in the engine, and
 * every resulting alert rendered. Prints counts; exits 1 if any exception escaped or any property
 * broke. The jest suite runs a seeded share of the same cases (test/fuzz.test.ts).
 *
 *   npx tsx scripts/fuzz.ts [--runs N] [--seed S]      (defaults: 100000 runs, seed 6)
 */
import fc from 'fast-check';
import { checkMutation, fuzzWorld, mutationArb, PropertyViolation, reasonClass, type Mutation } from '../test/support/fuzz';

interface Options {
  runs: number;
  seed: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 100_000, seed: 6 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = Number(argv[i + 1]);
    if ((name === '--runs' || name === '--seed') && Number.isInteger(value) && (name === '--seed' || value > 0)) {
      options[name === '--runs' ? 'runs' : 'seed'] = value;
      i += 1;
    } else {
      process.stderr.write(`usage: tsx scripts/fuzz.ts [--runs N] [--seed S]\n(bad argument ${JSON.stringify(name)})\n`);
      process.exit(2);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const { runs, seed } = parseArgs(process.argv.slice(2));
  const started = process.hrtime.bigint();
  const world = await fuzzWorld();
  const counts = {
    mutations: 0,
    results: 0,
    assumeRole: 0,
    sessionActivity: 0,
    ignored: 0,
    rejected: 0,
    mutationsRejected: 0,
    alertsRendered: 0,
    exceptions: 0,
    violations: 0,
  };
  const byContainer = new Map<string, number>();
  const byReason = new Map<string, number>();
  const failures: { run: number; error: string; mutation: string }[] = [];
  const property = fc.asyncProperty(mutationArb, async (m: Mutation) => {
    const run = counts.mutations;
    counts.mutations += 1;
    byContainer.set(m.container, (byContainer.get(m.container) ?? 0) + 1);
    try {
      const outcome = await checkMutation(m, world);
      const classes = new Set<string>();
      for (const r of outcome.results) {
        counts.results += 1;
        if (r.kind === 'assume-role') counts.assumeRole += 1;
        else if (r.kind === 'session-activity') counts.sessionActivity += 1;
        else if (r.kind === 'ignored') counts.ignored += 1;
        else {
          counts.rejected += 1;
          classes.add(reasonClass(r.reason));
        }
      }
      // A mutant that is a 100,000-element array gives 100,000 rejections of one class: count mutations.
      for (const cls of classes) byReason.set(cls, (byReason.get(cls) ?? 0) + 1);
      if (classes.size > 0) counts.mutationsRejected += 1;
      counts.alertsRendered += outcome.alertsRendered;
    } catch (e) {
      if (e instanceof PropertyViolation) counts.violations += 1;
      else counts.exceptions += 1;
      if (failures.length < 10) {
        failures.push({ run, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), mutation: fc.stringify(m).slice(0, 2_000) });
      }
    }
    if (counts.mutations % 10_000 === 0) process.stderr.write(`  … ${counts.mutations} mutations\n`);
    return true;
  });
  await fc.check(property, { numRuns: runs, seed });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const line = (label: string, n: number | string): string => `  ${label.padEnd(34)} ${String(n).padStart(9)}`;
  const out: string[] = [];
  out.push(`fuzz: seed ${seed}, ${world.templates.length} templates (fixture records and copies retargeted at a monitored role), ${world.goods.length} known-good records beside each mutant`);
  out.push(line('mutations run', counts.mutations));
  for (const [container, n] of [...byContainer].sort()) out.push(line(`  through ${container}`, n));
  out.push(line('records out of the parser', counts.results));
  out.push(line('  parsed (calls)', counts.assumeRole + counts.sessionActivity));
  out.push(line('    assume-role', counts.assumeRole));
  out.push(line('    session-activity', counts.sessionActivity));
  out.push(line('  ignored', counts.ignored));
  out.push(line('  rejected (each with a reason)', counts.rejected));
  out.push(line('mutations with a rejected record', counts.mutationsRejected));
  out.push('  mutations rejected, by reason class:');
  for (const [cls, n] of [...byReason].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) out.push(line(`    ${JSON.stringify(cls)}`, n));
  out.push(line('mutant alerts rendered', counts.alertsRendered));
  out.push(line('exceptions (must be 0)', counts.exceptions));
  out.push(line('property violations (must be 0)', counts.violations));
  out.push(line('seconds', seconds.toFixed(1)));
  for (const f of failures) out.push(`  run ${f.run}: ${f.error}\n    ${f.mutation}`);
  process.stdout.write(`${out.join('\n')}\n`);
  process.exitCode = counts.exceptions + counts.violations > 0 ? 1 : 0;
}

void main();
