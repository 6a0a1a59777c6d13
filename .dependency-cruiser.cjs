/**
 * The layers of the code, held by dependency-cruiser in the test run (test/layers.test.ts):
 *
 *   lambdas/core ← lambdas/detectors ← lambdas/engine ← lambdas/state, lambdas/delivery ← lambdas/detect, lambdas/recheck, cli
 *
 * Imports point down only. lib/ (the CDK app) takes from the runtime only what a deployment
 * must agree on with it: the configuration spec, the table schema and the function's contract.
 * Nothing that ships imports tests or scripts.
 */
const layer = (name, mayNotImport, comment) => ({
  name: `${name}-imports-down-only`,
  comment,
  severity: 'error',
  from: { path: `^${name}/` },
  to: { path: mayNotImport },
});

module.exports = {
  forbidden: [
    layer('lambdas/core', '^(lambdas/(?!core/)|cli/|lib/|bin/)', 'core is the bottom layer: types, parsing, configuration, keys and ports. It imports nothing of ours above it.'),
    layer('lambdas/detectors', '^(lambdas/(engine|state|delivery|detect)/|cli/|lib/|bin/)', 'Detectors are pure: they see core only (and detector.ts, their shared helpers).'),
    layer('lambdas/engine', '^(lambdas/(state|delivery|detect)/|lambdas/detectors/index|cli/|lib/|bin/)', 'The engine is handed the detectors: it never imports the registry, a store or a publisher.'),
    layer('lambdas/state', '^(lambdas/(delivery|detect|detectors)/|cli/|lib/|bin/)', 'Stores implement the ports of core; they know nothing of delivery or the Lambda.'),
    layer('lambdas/delivery', '^(lambdas/(state|detect)/|cli/|lib/|bin/)', 'Delivery runs batches through the ports it is given; it does not pick a store.'),
    layer('lambdas/detect', '^(cli/|lib/|bin/|lambdas/recheck/)', 'The Lambda entry wires the layers below; it is not wired to the CLI or the CDK app.'),
    layer('lambdas/recheck', '^(cli/|lib/|bin/|lambdas/detect/(handler|environment|index)\\.ts$)', 'The scheduled re-check wires the layers below (and the detect function\'s registry reading), never the detect function itself, the CLI or the CDK app.'),
    layer('cli', '^(lambdas/detect/|lib/|bin/)', 'The command line runs the same layers as the Lambda, not the Lambda itself.'),
    {
      name: 'detectors-share-only-detector-ts',
      comment: 'A detector stands alone: what two detectors share goes into detector.ts (helpers) or core, never one detector importing another.',
      severity: 'error',
      from: { path: '^lambdas/detectors/(?!index\\.ts$)' },
      to: { path: '^lambdas/detectors/(?!detector\\.ts$)' },
    },
    {
      name: 'lib-takes-only-the-contract',
      comment: 'The CDK app shares the configuration spec, the table schema and the function contract with the runtime, nothing else.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(lambdas/|cli/)', pathNot: '^lambdas/(core/(config|config-values|context-keys|detector-settings|types|ip|regex-safety|state|keys|time)\\.ts|state/schema\\.ts|detect/contract\\.ts|recheck/contract\\.ts)$' },
    },
    {
      name: 'shipped-code-never-imports-tests',
      comment: 'Test data and helpers stay out of what ships; the tests import the code, never the reverse.',
      severity: 'error',
      from: { path: '^(lambdas|cli|lib|bin)/' },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: split or move the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|cdk\\.out)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
