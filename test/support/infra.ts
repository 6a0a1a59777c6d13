/**
 * Synthesizes the real CDK app for infra tests: the context `cdk synth` reads with the example
 * deployment (cdk.json's feature flags and examples/cdk-context.json), plus overrides, through
 * lib/config.ts and lib/app.ts exactly as bin/app.ts does. Bundling is
 * skipped unless asked for (each bundle costs seconds), and version reporting is off so the
 * snapshot does not change with aws-cdk-lib's analytics string.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildStacks, type AssumeRoleWatchStacks } from '../../lib/app';
import { loadAppConfig, type AppConfig } from '../../lib/config';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** The example bastion account's deployment (docs/deploy.md, "Configure"), apart from the app's cdk.json. */
export const EXAMPLE_CONTEXT_FILE = join(ROOT, 'examples', 'cdk-context.json');

/** cdk.json's own context: CDK's feature flags only. */
export function cdkJsonFlags(): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
}

/**
 * The context `npx cdk synth` gets after `cp examples/cdk-context.json cdk.context.json`:
 * cdk.json's feature flags and the example deployment's keys.
 */
export function cdkJsonContext(): Record<string, unknown> {
  return { ...cdkJsonFlags(), ...(JSON.parse(readFileSync(EXAMPLE_CONTEXT_FILE, 'utf8')) as Record<string, unknown>) };
}

/** An app built from the example context with `overrides`, its config and stacks. */
export interface SynthesizedApp {
  readonly app: App;
  readonly config: AppConfig;
  readonly stacks: AssumeRoleWatchStacks;
}

/**
 * Builds the app. `bundle` lists the stacks whose assets are really bundled (default: none);
 * `validate: false` skips CDK's built-in CloudFormation validation (it takes seconds; the main
 * infra test runs it once).
 */
export function buildApp(overrides: Record<string, unknown> = {}, options: { bundle?: string[]; outdir?: string; validate?: boolean } = {}): SynthesizedApp {
  const context = {
    ...cdkJsonContext(),
    ...overrides,
    'aws:cdk:bundling-stacks': options.bundle ?? [],
    'aws:cdk:version-reporting': false,
  };
  const app = new App({ context, outdir: options.outdir, builtinCloudFormationValidation: options.validate ?? true });
  const config = loadAppConfig(context);
  return { app, config, stacks: buildStacks(app, config) };
}

/** A CloudFormation resource as the template holds it. */
export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The template's resources of one type, by logical ID. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The one resource of a type (fails when there are several). */
export function onlyResource(template: Template, type: string): Resource {
  const all = Object.values(resourcesOf(template, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
}

/** The logical ID of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/**
 * Every `action → resource` a role's inline policies allow, as sorted strings; references are
 * shown as the logical ID they point at (`dynamodb:GetItem → PipelineState1234`).
 */
export function roleGrants(template: Template, roleLogicalId: string): string[] {
  const out = new Set<string>();
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties!.Roles as unknown[]).map(describe);
    if (!roles.includes(roleLogicalId)) continue;
    const statements = (policy.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    for (const s of statements) {
      if (s.Effect !== 'Allow') throw new Error(`unexpected ${String(s.Effect)} statement in ${roleLogicalId}'s policy`);
      for (const action of asList(s.Action)) for (const resource of asList(s.Resource)) out.add(`${String(action)} → ${describe(resource)}`);
    }
  }
  return [...out].sort();
}

/** Logical IDs of a template's IAM roles. */
export function roleIds(template: Template): string[] {
  return Object.keys(resourcesOf(template, 'AWS::IAM::Role')).sort();
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** A reference as the logical ID it names; literal strings as they are. */
function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  return JSON.stringify(value);
}

/** A template as JSON with asset hashes (64 hex) and S3 keys normalised, for snapshots. */
export function normalisedTemplate(stack: Stack): unknown {
  const text = JSON.stringify(Template.fromStack(stack).toJSON())
    .replace(/[0-9a-f]{64}/g, '<asset-hash>');
  return JSON.parse(text, (key, value: unknown) => (key === 'S3Key' ? '<s3-key>' : value));
}
