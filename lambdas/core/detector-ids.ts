/**
 * The ids of the registered detectors, as the configuration knows them. The `detectors` key is
 * checked against this list by `resolveConfig`, which the CDK app, the Lambda and replay all run:
 * the CDK app may not load the detector registry (it takes only the contract from the runtime),
 * and a misspelt id must stop `cdk synth`, not every cold start. The detector tests hold this
 * list to the registry (`lambdas/detectors/index.ts`): a new detector adds its id here too.
 */

/** Every registered detector's id, in the registry's order. */
export const DETECTOR_IDS: readonly string[] = [
  'human-principal',
  'unexpected-caller',
  'source-ip',
  'session-locations',
  'call-volume',
  'session-name',
  'external-id',
  'target-role',
  'failed-assume',
  'region',
  'session-request',
  'client',
];
