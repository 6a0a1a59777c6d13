/**
 * Deterministic generator of realistic CloudTrail traffic for the vendor's bastion account
 * (`assumerole-watch generate`, `npm run bench`, the bundled `examples/`): the same options give
 * byte-identical output.
 *
 * random (seeded PRNG) ← records (the CloudTrail record builder) ← scenario, world ← calendar
 * (what changes when) ← hour (the scenario's calls) ← benign, lifecycle, people, incidents/ ←
 * registry, corpus (in order, S3 layout) ← main (CLI).
 */
export { generateCorpus, LOG_FILE_PATTERN, writeCorpus, type CorpusSummary, type WriteSummary } from './corpus';
export { INCIDENTS, type IncidentLabel, type Requirement } from './incidents';
export { main, parseArgs } from './main';
export { DEFAULT_OPTIONS, type GenerateOptions } from './options';
export type { CloudTrailRecord } from './records';
export { externalIdDigest, registryText, type RegistryLine } from './registry';
export { ACCOUNT as SCENARIO_ACCOUNT, REGIONS, REGISTRY_FILE, SCENARIO, scenarioConfig, type Region } from './scenario';
export { MIN_CUSTOMERS } from './world';
