/**
 * The `check-role` command: a static lint of the integration role a vendor asks its customers to
 * create (a CloudFormation template, a Terraform plan, or the AWS CLI's description of the
 * deployed role). Its arguments, reading, output and exit code live here; the lint itself is a
 * pure function in check-role/lint.ts.
 */
import { writeFileSync } from 'node:fs';
import { closest } from '../lambdas/core/config-values';
import { isExternalIdForm, probeExternalId } from '../lambdas/core/role-probe';
import { roleArnParts } from '../lambdas/core/role-arn';
import { commandHelp, parseCommand, UsageError, wholeNumber, type CommandSpec } from './args';
import { readRegularFile } from './inputs';
import { InputProblem, readExpectedPolicy, readRoleInputs } from './check-role/inputs';
import { lintRole, selectRoles } from './check-role/lint';
import { renderJson, renderText, type CheckReport } from './check-role/render';
import { toSarif } from './check-role/sarif';
import { terminalJson } from '../lambdas/delivery/format';
import type { LiveClients } from './check-role/live';
import { SEVERITIES, type LintOptions } from './check-role/types';

/** The program's name in the help. */
const PROGRAM = 'assumerole-watch';

/** The renderings `--format` selects. */
export const CHECK_ROLE_FORMATS = ['text', 'json', 'sarif'] as const;

/** The longest MaxSessionDuration IAM accepts is 12 hours. */
const MAX_SESSION_HOURS = 12;

/** Where `--live` reads the external ID unless told otherwise. */
export const EXTERNAL_ID_ENV = 'ASSUMEROLE_WATCH_EXTERNAL_ID';

/** An external ID file holds one ID (at most 1224 characters); this stops a wrong file early. */
const MAX_EXTERNAL_ID_FILE_BYTES = 64 * 1024;

/** Options that take the external ID itself, refused without echoing the value. */
const EXTERNAL_ID_ON_ARGV = /^--?external[-_]?id(=|$)/i;

/** Why the external ID never comes from the command line: said in the help and in the refusal. */
const NOT_ON_ARGV = 'never on the command line, where shell history, `ps` and CI logs would keep it';

/** `check-role`: its options, once, for parsing, `--help` and the README. */
export const CHECK_ROLE_COMMAND: CommandSpec = {
  name: 'check-role',
  summary: 'Lints the integration role a vendor asks customers to create: who may assume it, on what external ID, and what it may do.',
  operands: '<template|plan.json|cli-output.json> ... | --live ROLE_ARN',
  options: {
    'vendor-role': { type: 'string', value: 'ARN', help: 'the vendor\'s outbound role, the one principal the trust should name (default: require exactly one role ARN)' },
    'expected-policy': { type: 'string', value: 'FILE', help: 'the IAM policy the vendor documents: report what the role grants beyond it, and what it lacks' },
    'allow-session-tags': { type: 'boolean', help: 'the integration uses sts:TagSession and sts:SetSourceIdentity' },
    'max-session-hours': { type: 'string', value: 'N', help: 'the longest MaxSessionDuration the integration needs (default 1)' },
    'require-boundary': { type: 'boolean', help: 'report a role without a permissions boundary' },
    role: { type: 'string', value: 'NAME', multiple: true, help: 'check only this role (its name or logical ID; repeatable); default every role another account may assume' },
    parameter: { type: 'string', value: 'KEY=VALUE', multiple: true, help: 'a CloudFormation parameter\'s value, where the default does not say (repeatable)' },
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text (default), json (schemaVersion 1) or sarif (SARIF 2.1.0, for code scanning)' },
    json: { type: 'boolean', help: 'short for --format json' },
    out: { type: 'string', short: 'o', value: 'FILE', help: 'write the report here instead of stdout' },
    live: { type: 'string', value: 'ROLE_ARN', help: 'probe the deployed role with sts:AssumeRole (no external ID, a wrong one, the right one), then lint what it may read of itself' },
    'via-role': { type: 'string', value: 'ARN', help: 'with --live: assume this outbound role first from the default credentials (900 s, a session policy), and probe as it' },
    'external-id-env': { type: 'string', value: 'NAME', help: `with --live: the environment variable holding the external ID (default ${EXTERNAL_ID_ENV})` },
    'external-id-file': { type: 'string', value: 'PATH', help: 'with --live: a file holding the external ID instead' },
    region: { type: 'string', value: 'REGION', help: 'with --live: the STS region (default the SDK\'s: AWS_REGION or the profile\'s)' },
  },
  details: `Input, judged by content: a CloudFormation template (YAML with the short-form tags, or JSON),
a Terraform plan or state (terraform show -json; HCL is not read), or what the AWS CLI prints
(aws iam get-role, list-attached-role-policies, list-role-policies, get-role-policy,
get-account-authorization-details), several files merged per role.
--live probes the deployed role with the default credential chain's (or --via-role's) session,
each request for 900 seconds, session name assumerole-watch-check-role, and a session policy that
only reads the role. The external ID comes from the environment or a file, never on the command
line, where shell history, \`ps\` and CI logs would keep it.
Exit codes: 0 no findings, 1 findings, 2 usage error, an input that cannot be used, or a probe
that could not run (credentials refused, no external ID, throttled out).`,
};

/** Where the command writes. */
export interface CheckRoleIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stdout is a terminal: severities may be coloured (unless NO_COLOR is set). @default false */
  readonly outIsTty?: boolean;
}

/** What `--live` reaches outside the process: injectable for tests. */
export interface LiveDependencies {
  /** The environment the external ID is read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The SDK clients. @default the SDK's, standard retry mode */
  readonly clients?: LiveClients;
  /** The probe's wrong external ID. @default a random one, marked as the probe's */
  readonly wrongExternalId?: string;
}

/** `--parameter KEY=VALUE` values, checked for their form. */
function parameterValues(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--parameter takes KEY=VALUE, got ${JSON.stringify(v)}`, CHECK_ROLE_COMMAND);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Writes the rendered report to stdout or to `--out`; resolves to the exit code (1 with findings). */
function emit(rendered: string, report: CheckReport, out: string | null, io: CheckRoleIo): number {
  if (out === null) io.out(rendered);
  else {
    try {
      writeFileSync(out, rendered);
    } catch (e) {
      throw new InputProblem(`--out ${out}: cannot write it: ${(e as Error).message}`);
    }
    const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    io.err(`check-role: ${count(report.findings.length, 'finding')} in ${count(report.checked.length, 'role')} written to ${out}\n`);
  }
  return report.findings.length > 0 ? 1 : 0;
}

/**
 * The external ID `--live` probes with, from a file or an environment variable (never from the
 * command line). Missing, empty or not of STS's form is an {@link InputProblem} (exit 2) that
 * names where it looked and never prints the value.
 */
function readExternalId(envName: string | null, file: string | null, env: Readonly<Record<string, string | undefined>>): string {
  if (envName !== null && file !== null) throw new UsageError('--external-id-env and --external-id-file both name the external ID; give one', CHECK_ROLE_COMMAND);
  let value: string;
  let from: string;
  if (file !== null) {
    from = `--external-id-file ${file}`;
    try {
      value = readRegularFile(file, MAX_EXTERNAL_ID_FILE_BYTES, 'the most an external ID file may hold').toString('utf8').trim();
    } catch (e) {
      throw new InputProblem(`${from}: cannot read it: ${(e as Error).message}`);
    }
  } else {
    const name = envName ?? EXTERNAL_ID_ENV;
    // Not quoted back: a value typed here by mistake would be printed.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError('--external-id-env takes the name of an environment variable (letters, digits and _), not the external ID itself', CHECK_ROLE_COMMAND);
    from = `the environment variable ${name}`;
    value = (env[name] ?? '').trim();
    if (value === '' && env[name] === undefined) throw new InputProblem(`no external ID: ${from} is not set (set it to the ID the customer was given, or give --external-id-file PATH)`);
  }
  if (value === '') throw new InputProblem(`no external ID: ${from} is empty`);
  if (!isExternalIdForm(value)) throw new InputProblem(`${from} does not hold an external ID STS accepts (2 to 1224 letters, digits and _ + = , . @ : / -); the value is not printed`);
  return value;
}

/** The probe's wrong external ID: the one given (tests), else a random one; never the right one. */
function wrongIdBesides(externalId: string, given: string | undefined): string {
  let wrong = given ?? probeExternalId();
  while (wrong === externalId) wrong = probeExternalId();
  return wrong;
}

/** Runs `check-role` with its arguments; resolves to the exit code. `version` is the package's. */
export async function runCheckRole(args: readonly string[], io: CheckRoleIo, version = 'unknown', live: LiveDependencies = {}): Promise<number> {
  const spec = CHECK_ROLE_COMMAND;
  // Refused before parsing, and without the value: the parser's message would quote it.
  if (args.some((a) => EXTERNAL_ID_ON_ARGV.test(a))) {
    throw new UsageError(`the external ID is taken from an environment variable (--external-id-env NAME, default ${EXTERNAL_ID_ENV}) or a file (--external-id-file PATH), ${NOT_ON_ARGV}`, spec);
  }
  const { values, positionals, help } = parseCommand(spec, args);
  if (help) {
    io.out(`${commandHelp(PROGRAM, spec)}\n`);
    return 0;
  }
  const text = (name: string): string | null => (typeof values[name] === 'string' ? (values[name] as string) : null);
  const list = (name: string): string[] => (Array.isArray(values[name]) ? (values[name] as string[]) : []);
  const format = text('format') ?? (values.json === true ? 'json' : 'text');
  if (!(CHECK_ROLE_FORMATS as readonly string[]).includes(format)) {
    const guess = closest(format, CHECK_ROLE_FORMATS);
    throw new UsageError(`--format takes ${CHECK_ROLE_FORMATS.join(', ')}, got ${JSON.stringify(format)}${guess ? ` (did you mean ${guess}?)` : ''}`, spec);
  }
  if (values.json === true && format !== 'json') throw new UsageError(`--json and --format ${format} disagree; give one`, spec);
  const liveOnly = ['via-role', 'external-id-env', 'external-id-file', 'region'].filter((o) => values[o] !== undefined);
  if (text('live') === null && liveOnly.length > 0) throw new UsageError(`--${liveOnly[0]} goes with --live ROLE_ARN`, spec);
  if (text('live') !== null) {
    if (positionals.length > 0) throw new UsageError(`--live reads the role from AWS: give no files (got ${positionals.length})`, spec);
    const fileOnly = ['role', 'parameter'].find((o) => values[o] !== undefined);
    if (fileOnly !== undefined) throw new UsageError(`--${fileOnly} is for files; --live checks the one role it names`, spec);
  } else if (positionals.length === 0) throw new UsageError('missing <template|plan.json|cli-output.json>: name the files describing the role', spec);
  const vendorRole = text('vendor-role');
  if (vendorRole !== null && roleArnParts(vendorRole) === null) {
    throw new UsageError(`--vendor-role takes the vendor's role ARN (arn:aws:iam::123456789012:role/name), got ${JSON.stringify(vendorRole)}`, spec);
  }
  const hours = text('max-session-hours');
  const maxSessionHours = hours === null ? 1 : wholeNumber('max-session-hours', hours, 1, MAX_SESSION_HOURS);
  const parameters = parameterValues(list('parameter'));
  const lintOptions = (vendor: string | null): LintOptions => ({
    vendorRole: vendor,
    expected: text('expected-policy') === null ? null : readExpectedPolicy(text('expected-policy')!),
    allowSessionTags: values['allow-session-tags'] === true,
    maxSessionHours,
    requireBoundary: values['require-boundary'] === true,
  });
  const render = (report: CheckReport): string => {
    const colour = io.outIsTty === true && text('out') === null && !process.env.NO_COLOR;
    return format === 'sarif' ? `${terminalJson(toSarif(report))}\n` : format === 'json' ? renderJson(report) : renderText(report, colour);
  };
  try {
    if (text('live') !== null) {
      const roleArn = text('live')!;
      const viaRole = text('via-role');
      for (const [flag, arn] of [['live', roleArn], ['via-role', viaRole]] as const) {
        if (arn !== null && roleArnParts(arn) === null) throw new UsageError(`--${flag} takes a role ARN (arn:aws:iam::123456789012:role/name), got ${JSON.stringify(arn)}`, spec);
      }
      const externalId = readExternalId(text('external-id-env'), text('external-id-file'), live.env ?? process.env);
      // The outbound role it probes as is the one principal the trust should name.
      const options = lintOptions(vendorRole ?? viaRole);
      const { probeRole, probeFindings, unreadRole, ProbeFailed } = await import('./check-role/live');
      let probe;
      try {
        probe = await probeRole({ roleArn, viaRole, externalId, region: text('region'), wrongExternalId: wrongIdBesides(externalId, live.wrongExternalId) }, live.clients);
      } catch (e) {
        if (!(e instanceof ProbeFailed)) throw e;
        const soFar = e.steps.map((s) => `\n  so far: sts:AssumeRole ${s.externalId === 'none' ? 'without an external ID' : s.externalId === 'wrong' ? 'with a wrong external ID' : 'with the external ID given'}: ${s.accepted ? 'ACCEPTED' : 'refused'}`).join('');
        io.err(`check-role: could not probe ${roleArn}: ${e.message}${soFar}\n`);
        return 2;
      }
      const role = probe.read?.role ?? unreadRole(roleArn);
      const findings = [...probeFindings(probe, role), ...(probe.read?.role ? lintRole(probe.read.role, options) : [])];
      const report: CheckReport = {
        inputs: [{ file: roleArn, kind: 'live probe (sts:AssumeRole, iam:GetRole)' }],
        checked: [role],
        skipped: [],
        findings: findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)),
        options,
        tool: { name: `${PROGRAM} check-role`, version },
        probe,
      };
      return emit(render(report), report, text('out'), io);
    }
    const options = lintOptions(vendorRole);
    const inputs = readRoleInputs(positionals, parameters);
    for (const name of Object.keys(parameters)) {
      if (inputs.parameters.has(name)) continue;
      const guess = closest(name, [...inputs.parameters]);
      throw new UsageError(`--parameter ${name}: no template of the inputs declares it${guess ? ` (did you mean ${guess}?)` : ''}`, spec);
    }
    for (const file of inputs.empty) io.err(`check-role: ${file} holds no IAM role\n`);
    if (inputs.roles.length === 0) {
      io.err('check-role: no IAM role in the inputs: nothing was checked\n');
      return 2;
    }
    const roleNames = list('role');
    const selection = selectRoles(inputs.roles, roleNames.length > 0 ? roleNames : null);
    if (selection.unknown.length > 0) {
      io.err(`check-role: --role ${selection.unknown.join(', ')}: no such role in the inputs; they hold ${inputs.roles.map((r) => r.name).join(', ')}\n`);
      return 2;
    }
    const report: CheckReport = {
      inputs: positionals.map((file) => ({ file, kind: inputs.kinds.get(file) ?? 'unknown' })),
      checked: selection.checked,
      skipped: selection.skipped,
      findings: selection.checked.flatMap((role) => lintRole(role, options)),
      options,
      tool: { name: `${PROGRAM} check-role`, version },
    };
    if (report.checked.length === 0) io.err('check-role: no role in the inputs lets another account assume it: nothing was checked (--role NAME checks one anyway)\n');
    return emit(render(report), report, text('out'), io);
  } catch (e) {
    if (e instanceof InputProblem) {
      io.err(`check-role: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
