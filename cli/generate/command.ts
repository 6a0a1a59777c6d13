/** The `generate` command's options, declared once for parsing and help (cli/args.ts). */
import type { CommandSpec } from '../args';
import { DEFAULT_OPTIONS } from './options';
import { ACCOUNT } from './scenario';

/** `generate`: deterministic CloudTrail logs of the example bastion account. */
export const GENERATE_COMMAND: CommandSpec = {
  name: 'generate',
  summary: `Writes deterministic CloudTrail logs of the example bastion account (${ACCOUNT}) in the S3 layout, with config.json, labels.json and customer-registry.jsonl.`,
  operands: '<outDir>',
  options: {
    days: { type: 'string', value: 'N', help: `days of traffic (default ${DEFAULT_OPTIONS.days}; unbounded with --records alone)` },
    customers: { type: 'string', value: 'N', help: `customers, each with one or two AWS accounts (default ${DEFAULT_OPTIONS.customers}, at least 10)` },
    seed: { type: 'string', value: 'N', help: `the random seed (default ${DEFAULT_OPTIONS.seed})` },
    start: { type: 'string', value: 'ISO', help: `the first hour (default ${DEFAULT_OPTIONS.start})` },
    'no-incidents': { type: 'boolean', help: 'benign traffic only, no labelled incident' },
    records: { type: 'string', value: 'N', help: 'stop after N records (for benchmarks)' },
  },
};
