/**
 * `check-role`'s inputs, judged by content: a CloudFormation template (YAML with the short-form
 * tags, or JSON), a Terraform plan or state (`terraform show -json`), or the AWS CLI's output
 * about roles. Each becomes {@link RoleDefinition}s; a file that is none of them, or that cannot
 * be read, is an {@link InputProblem} naming the file and what is wrong (exit 2).
 */
import { extname } from 'node:path';
import { MB, readRegularFile } from '../inputs';
import { CliInputProblem, cliParts, cliShape, mergeCliParts, type CliPart } from './aws-cli';
import { declaredParameters, isTemplate, rolesFromTemplate } from './cfn';
import { parseDocument, SyntaxProblem, type ParsedDocument } from './cfn-yaml';
import { DocumentProblem, documentValue, policyDocument } from './documents';
import { isTerraformConfiguration, isTerraformJson, rolesFromTerraform } from './terraform';
import type { ExpectedPolicy, RoleDefinition } from './types';

/** An input that cannot be used. */
export class InputProblem extends Error {}

/** A template, plan or CLI output is a few hundred kilobytes; this stops `/dev/zero` and mistakes. */
const MAX_INPUT_BYTES = 64 * MB;

/** What the inputs hold. */
export interface RoleInputs {
  readonly roles: RoleDefinition[];
  /** Each file's kind, for the summary: `CloudFormation template`, `Terraform plan`, a CLI command. */
  readonly kinds: ReadonlyMap<string, string>;
  /** Parameters the templates declare (for checking `--parameter` names). */
  readonly parameters: ReadonlySet<string>;
  /** Files that held no role, to say so. */
  readonly empty: readonly string[];
}

/** A file's text, or an {@link InputProblem} saying why it cannot be read. */
function readText(file: string): string {
  try {
    return readRegularFile(file, MAX_INPUT_BYTES, 'the most an input of check-role may hold').toString('utf8');
  } catch (e) {
    throw new InputProblem(`${file}: cannot read it: ${(e as Error).message}`);
  }
}

/** A file parsed as JSON (when it starts like JSON) or YAML. */
function parse(file: string, raw: string): ParsedDocument {
  const text = raw.replace(/^\uFEFF/, '');
  const json = /^\s*[{[]/.test(text);
  try {
    return parseDocument(text, { json });
  } catch (e) {
    if (e instanceof SyntaxProblem) throw new InputProblem(`${file}${e.line !== null ? `:${e.line}` : ''}: not valid ${json ? 'JSON' : 'YAML'}: ${e.message}`);
    throw e;
  }
}

const HCL_HELP = 'Terraform configuration (HCL) is not read: give the plan as JSON instead: `terraform plan -out=plan.tfplan && terraform show -json plan.tfplan > plan.json`';

/** Reads every input; `parameters` are CloudFormation parameter values from the command line. */
export function readRoleInputs(files: readonly string[], parameters: Readonly<Record<string, string>> = {}): RoleInputs {
  const roles: RoleDefinition[] = [];
  const kinds = new Map<string, string>();
  const declared = new Set<string>();
  const empty: string[] = [];
  const cli: CliPart[] = [];
  for (const file of files) {
    if (extname(file).toLowerCase() === '.tf' || extname(file).toLowerCase() === '.hcl') throw new InputProblem(`${file}: ${HCL_HELP}`);
    const text = readText(file);
    const doc = parse(file, text);
    const value = doc.value;
    try {
      if (isTemplate(value)) {
        kinds.set(file, 'CloudFormation template');
        for (const p of declaredParameters(value)) declared.add(p);
        const found = rolesFromTemplate(doc, file, parameters, text);
        if (found.length === 0) empty.push(file);
        roles.push(...found);
      } else if (isTerraformJson(value)) {
        kinds.set(file, 'Terraform plan');
        const found = rolesFromTerraform(value, file, text, doc.lines);
        if (found.length === 0) empty.push(file);
        roles.push(...found);
      } else if (isTerraformConfiguration(value)) {
        throw new InputProblem(`${file}: ${HCL_HELP}`);
      } else if (cliShape(value) !== null) {
        kinds.set(file, cliShape(value)!);
        cli.push(...cliParts(value, file, text, doc.lines));
      } else {
        const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
        const holds = keys.length > 0 ? `its top-level keys are ${keys.slice(0, 8).join(', ')}` : `it holds ${Array.isArray(value) ? 'a list' : typeof value === 'string' ? 'only text' : 'nothing usable'}`;
        throw new InputProblem(
          `${file}: not a CloudFormation template (no Resources), a Terraform plan (terraform show -json) or AWS CLI output (aws iam get-role, list-attached-role-policies, list-role-policies, get-role-policy, get-account-authorization-details): ${holds}`,
        );
      }
    } catch (e) {
      if (e instanceof DocumentProblem) throw new InputProblem(`${file}: ${e.message}`);
      if (e instanceof CliInputProblem) throw new InputProblem(e.message);
      throw e;
    }
  }
  try {
    roles.push(...mergeCliParts(cli));
  } catch (e) {
    if (e instanceof CliInputProblem) throw new InputProblem(e.message);
    throw e;
  }
  return { roles, kinds, parameters: declared, empty };
}

/**
 * The vendor's documented policy: an IAM policy document (`{"Version", "Statement"}`), or the
 * same with a top-level `ManagedPolicyArns` list for the managed policies it documents attaching.
 */
export function readExpectedPolicy(file: string): ExpectedPolicy {
  const text = readText(file);
  const doc = parse(file, text);
  const value = doc.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('Statement' in value)) {
    throw new InputProblem(`${file}: --expected-policy takes an IAM policy document ({"Version": "2012-10-17", "Statement": [...]}), optionally with "ManagedPolicyArns": [...]`);
  }
  try {
    const policy = policyDocument(documentValue(value), 'expected policy', { file, line: doc.lines.get(value) ?? 1 }, doc.lines);
    const managed = (value as Record<string, unknown>).ManagedPolicyArns;
    return { file, statements: policy.statements, managedPolicyArns: Array.isArray(managed) ? managed.map(String) : [] };
  } catch (e) {
    if (e instanceof DocumentProblem) throw new InputProblem(`${file}: ${e.message}`);
    throw e;
  }
}
