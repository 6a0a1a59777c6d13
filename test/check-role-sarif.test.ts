/**
 * check-role's SARIF against the structure SARIF 2.1.0 requires (OASIS Standard, the schema
 * `sarif-schema-2.1.0.json` of oasis-tcs/sarif-spec): every object we emit, with its required
 * properties, the properties it may have (the schema allows no others), their types and enums.
 * The schema itself is not carried: this is the part of it our output reaches, checked by a
 * small validator that is itself shown to catch each kind of mistake.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../cli/check-role/rules';
import { cli } from './support/cli';

/** The JSON types a property may have; `ref:` names another object definition. */
type Kind = 'string' | 'integer' | 'boolean' | 'object' | 'array' | `ref:${string}` | `array:ref:${string}` | 'array:string';

/** An object of the schema: its properties (all it may have), the required ones, enums and minimums. */
interface Definition {
  readonly properties: Readonly<Record<string, Kind>>;
  readonly required?: readonly string[];
  readonly enums?: Readonly<Record<string, readonly string[]>>;
  readonly minimum?: Readonly<Record<string, number>>;
  /** A property bag: any property, of any type. */
  readonly open?: boolean;
}

/** SARIF 2.1.0's definitions for the objects check-role writes (§3.13 sarifLog onwards). */
const SARIF: Readonly<Record<string, Definition>> = {
  sarifLog: {
    properties: { $schema: 'string', version: 'string', runs: 'array:ref:run', inlineExternalProperties: 'array', properties: 'ref:propertyBag' },
    required: ['version', 'runs'],
    enums: { version: ['2.1.0'] },
  },
  run: {
    properties: {
      tool: 'ref:tool', invocations: 'array', conversion: 'object', language: 'string', versionControlProvenance: 'array', originalUriBaseIds: 'object',
      artifacts: 'array:ref:artifact', logicalLocations: 'array', graphs: 'array', results: 'array:ref:result', automationDetails: 'object', runAggregates: 'array',
      baselineGuid: 'string', redactionTokens: 'array', defaultEncoding: 'string', defaultSourceLanguage: 'string', newlineSequences: 'array', columnKind: 'string',
      externalPropertyFileReferences: 'object', threadFlowLocations: 'array', taxonomies: 'array', addresses: 'array', translations: 'array', policies: 'array',
      webRequests: 'array', webResponses: 'array', specialLocations: 'object', properties: 'ref:propertyBag',
    },
    required: ['tool'],
    enums: { columnKind: ['utf16CodeUnits', 'unicodeCodePoints'] },
  },
  tool: { properties: { driver: 'ref:toolComponent', extensions: 'array', properties: 'ref:propertyBag' }, required: ['driver'] },
  toolComponent: {
    properties: {
      guid: 'string', name: 'string', organization: 'string', product: 'string', productSuite: 'string', shortDescription: 'ref:multiformatMessageString',
      fullDescription: 'ref:multiformatMessageString', fullName: 'string', version: 'string', semanticVersion: 'string', dottedQuadFileVersion: 'string',
      releaseDateUtc: 'string', downloadUri: 'string', informationUri: 'string', globalMessageStrings: 'object', notifications: 'array',
      rules: 'array:ref:reportingDescriptor', taxa: 'array', locations: 'array', language: 'string', contents: 'array', isComprehensive: 'boolean',
      localizedDataSemanticVersion: 'string', minimumRequiredLocalizedDataSemanticVersion: 'string', associatedComponent: 'object',
      translationMetadata: 'object', supportedTaxonomies: 'array', properties: 'ref:propertyBag',
    },
    required: ['name'],
  },
  reportingDescriptor: {
    properties: {
      id: 'string', deprecatedIds: 'array', guid: 'string', deprecatedGuids: 'array', name: 'string', deprecatedNames: 'array',
      shortDescription: 'ref:multiformatMessageString', fullDescription: 'ref:multiformatMessageString', messageStrings: 'object',
      defaultConfiguration: 'ref:reportingConfiguration', helpUri: 'string', help: 'ref:multiformatMessageString', relationships: 'array', properties: 'ref:propertyBag',
    },
    required: ['id'],
  },
  reportingConfiguration: {
    properties: { enabled: 'boolean', level: 'string', rank: 'integer', parameters: 'ref:propertyBag', properties: 'ref:propertyBag' },
    enums: { level: ['none', 'note', 'warning', 'error'] },
  },
  multiformatMessageString: { properties: { text: 'string', markdown: 'string', properties: 'ref:propertyBag' }, required: ['text'] },
  message: { properties: { text: 'string', markdown: 'string', id: 'string', arguments: 'array:string', properties: 'ref:propertyBag' } },
  artifact: {
    properties: {
      description: 'ref:message', location: 'ref:artifactLocation', parentIndex: 'integer', offset: 'integer', length: 'integer', roles: 'array:string',
      mimeType: 'string', contents: 'object', encoding: 'string', sourceLanguage: 'string', hashes: 'object', lastModifiedTimeUtc: 'string', properties: 'ref:propertyBag',
    },
  },
  result: {
    properties: {
      ruleId: 'string', ruleIndex: 'integer', rule: 'object', kind: 'string', level: 'string', message: 'ref:message', analysisTarget: 'ref:artifactLocation',
      locations: 'array:ref:location', guid: 'string', correlationGuid: 'string', occurrenceCount: 'integer', partialFingerprints: 'object', fingerprints: 'object',
      stacks: 'array', codeFlows: 'array', graphs: 'array', graphTraversals: 'array', relatedLocations: 'array:ref:location', suppressions: 'array',
      baselineState: 'string', rank: 'integer', attachments: 'array', hostedViewerUri: 'string', workItemUris: 'array', provenance: 'object', fixes: 'array',
      taxa: 'array', webRequest: 'object', webResponse: 'object', properties: 'ref:propertyBag',
    },
    required: ['message'],
    enums: { kind: ['notApplicable', 'pass', 'fail', 'review', 'open', 'informational'], level: ['none', 'note', 'warning', 'error'] },
    minimum: { ruleIndex: -1 },
  },
  location: {
    properties: { id: 'integer', physicalLocation: 'ref:physicalLocation', logicalLocations: 'array', message: 'ref:message', annotations: 'array', relationships: 'array', properties: 'ref:propertyBag' },
  },
  physicalLocation: { properties: { address: 'object', artifactLocation: 'ref:artifactLocation', region: 'ref:region', contextRegion: 'ref:region', properties: 'ref:propertyBag' } },
  artifactLocation: { properties: { uri: 'string', uriBaseId: 'string', index: 'integer', description: 'ref:message', properties: 'ref:propertyBag' } },
  region: {
    properties: {
      startLine: 'integer', startColumn: 'integer', endLine: 'integer', endColumn: 'integer', charOffset: 'integer', charLength: 'integer',
      byteOffset: 'integer', byteLength: 'integer', snippet: 'object', message: 'ref:message', sourceLanguage: 'string', properties: 'ref:propertyBag',
    },
    minimum: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
  },
  propertyBag: { properties: { tags: 'array:string' }, open: true },
};

/** The JSON type of a value, as the schema names them. */
function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The problems of `value` as a `definition`, each with its JSON path. */
function validate(value: unknown, definition: string, path = '$'): string[] {
  const def = SARIF[definition]!;
  if (typeOf(value) !== 'object') return [`${path}: a ${definition} must be an object, got ${typeOf(value)}`];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of def.required ?? []) if (!(name in record)) problems.push(`${path}: ${definition} requires "${name}"`);
  if (definition === 'message' && !('text' in record) && !('id' in record)) problems.push(`${path}: a message needs "text" or "id"`);
  for (const [name, v] of Object.entries(record)) {
    const at = `${path}.${name}`;
    const kind = def.properties[name];
    if (kind === undefined) {
      if (!def.open) problems.push(`${at}: ${definition} has no property "${name}"`);
      continue;
    }
    problems.push(...check(v, kind, at));
    const allowed = def.enums?.[name];
    if (allowed && !allowed.includes(v as string)) problems.push(`${at}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    const min = def.minimum?.[name];
    if (min !== undefined && typeof v === 'number' && v < min) problems.push(`${at}: ${v} is below ${min}`);
  }
  return problems;
}

/** The problems of a value against a property's kind. */
function check(value: unknown, kind: Kind, path: string): string[] {
  if (kind.startsWith('ref:')) return validate(value, kind.slice(4), path);
  if (kind.startsWith('array:')) {
    if (!Array.isArray(value)) return [`${path}: must be an array`];
    const item = kind.slice(6) as Kind;
    return value.flatMap((v, i) => check(v, item, `${path}[${i}]`));
  }
  return typeOf(value) === kind ? [] : [`${path}: must be ${kind}, got ${typeOf(value)}`];
}

const FIXTURES = join(__dirname, 'fixtures', 'check-role');
const DATADOG = join(FIXTURES, 'datadog', 'datadog_integration_role.yaml');
const CLOUDZERO = join(FIXTURES, 'cloudzero', 'resource_owner.yaml');
const PLAN = join(FIXTURES, 'cases', 'terraform-plan.json');

/** The SARIF log check-role writes for `files`. */
async function sarifOf(...files: string[]): Promise<{ code: number; log: Record<string, unknown> }> {
  const { code, out } = await cli(['check-role', ...files, '--format', 'sarif']);
  return { code, log: JSON.parse(out) as Record<string, unknown> };
}

type Result = { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[]; properties: Record<string, unknown> };
type Run = { tool: { driver: { name: string; rules: { id: string; defaultConfiguration: { level: string }; properties: Record<string, unknown>; help: { text: string } }[] } }; results: Result[] };

describe('the SARIF validator', () => {
  const minimal = (): Record<string, unknown> => ({
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 't', rules: [{ id: 'r', defaultConfiguration: { level: 'error' } }] } }, results: [{ ruleId: 'r', level: 'error', message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a.yaml' }, region: { startLine: 3 } } }] }] }],
  });

  it('accepts a minimal valid log', () => {
    expect(validate(minimal(), 'sarifLog')).toEqual([]);
  });

  it.each([
    ['a missing version', (log: any) => delete log.version, '$: sarifLog requires "version"'],
    ['another version', (log: any) => (log.version = '2.0.0'), '$.version: "2.0.0" is not one of 2.1.0'],
    ['a tool without a driver name', (log: any) => delete log.runs[0].tool.driver.name, '$.runs[0].tool.driver: toolComponent requires "name"'],
    ['a property outside the property bag', (log: any) => (log.runs[0].results[0]['security-severity'] = '8.0'), '$.runs[0].results[0].security-severity: result has no property "security-severity"'],
    ['a level SARIF does not know', (log: any) => (log.runs[0].results[0].level = 'high'), '$.runs[0].results[0].level: "high" is not one of none, note, warning, error'],
    ['a line 0', (log: any) => (log.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0), '$.runs[0].results[0].locations[0].physicalLocation.region.startLine: 0 is below 1'],
    ['a message without text', (log: any) => (log.runs[0].results[0].message = {}), '$.runs[0].results[0].message: a message needs "text" or "id"'],
    ['a rule default level as a number', (log: any) => (log.runs[0].tool.driver.rules[0].defaultConfiguration.level = 2), '$.runs[0].tool.driver.rules[0].defaultConfiguration.level: must be string, got integer'],
  ])('catches %s', (_what, breakIt, problem) => {
    const log = minimal();
    breakIt(log);
    expect(validate(log, 'sarifLog')).toContain(problem);
  });
});

describe('check-role --format sarif', () => {
  it.each([
    ['a YAML template', DATADOG],
    ['a template with five managed policies', CLOUDZERO],
    ['a Terraform plan', PLAN],
  ])('writes a SARIF 2.1.0 log for %s', async (_what, file) => {
    const { code, log } = await sarifOf(file);
    expect(code).toBe(1);
    expect(validate(log, 'sarifLog')).toEqual([]);
  });

  it('carries every rule with its help, default level and security-severity', async () => {
    const { log } = await sarifOf(DATADOG);
    const run = (log.runs as Run[])[0]!;
    expect(run.tool.driver.name).toBe('assumerole-watch check-role');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const root = run.tool.driver.rules.find((r) => r.id === 'trust-root-principal')!;
    expect(root.defaultConfiguration.level).toBe('error');
    expect(root.properties['security-severity']).toBe('8.0');
    expect(root.help.text).toContain('Fix: Ask the vendor for its outbound role ARN');
    const levels = Object.fromEntries(run.tool.driver.rules.map((r) => [r.id, [r.defaultConfiguration.level, r.properties['security-severity']]]));
    expect(levels['permission-write']).toEqual(['warning', '5.5']);
    expect(levels['policy-unreadable']).toEqual(['note', '3.0']);
  });

  it('points each result at its rule, the input file and the line of the offending statement', async () => {
    // Given Datadog's template; when rendered as SARIF
    const { log } = await sarifOf(DATADOG);
    const run = (log.runs as Run[])[0]!;
    const lines = readFileSync(DATADOG, 'utf8').split('\n');
    // Then every result names its rule by id and index, the file by the path given, a line in it
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(r.locations[0]!.physicalLocation.artifactLocation.uri).toBe(DATADOG);
    }
    const trust = run.results.find((r) => r.ruleId === 'trust-root-principal')!;
    const line = trust.locations[0]!.physicalLocation.region!.startLine;
    expect(line).toBe(73);
    expect(lines[line - 1]).toBe('          - Effect: Allow');
    expect(lines[line + 1]).toContain("AWS: !Sub [\"arn:${AWS::Partition}:iam::${DatadogAccountID}:root\"");
    expect(trust.level).toBe('error');
    expect(trust.message.text).toBe('DatadogIntegrationRole: statement #1 trusts the whole account 464622532012 (arn:aws:iam::464622532012:root)');
    const managed = run.results.find((r) => r.ruleId === 'permission-aws-managed')!;
    expect(lines[managed.locations[0]!.physicalLocation.region!.startLine - 1]).toContain('policy/SecurityAudit');
  });

  it('gives a result its own level when its severity is not the rule\'s', async () => {
    const { log } = await sarifOf(CLOUDZERO);
    const results = (log.runs as Run[])[0]!.results.filter((r) => r.ruleId === 'permission-aws-managed');
    expect(results.map((r) => [r.properties.details && (r.properties.details as { policy: string }).policy, r.level])).toEqual([
      ['Billing', 'error'],
      ['CloudWatchReadOnlyAccess', 'warning'],
      ['SecurityAudit', 'warning'],
      ['ViewOnlyAccess', 'note'],
      ['AWSBillingReadOnlyAccess', 'note'],
    ]);
  });

  it('points at the key holding a plan\'s policy string, which has no lines of its own', async () => {
    const { log } = await sarifOf(PLAN);
    const lines = readFileSync(PLAN, 'utf8').split('\n');
    const trust = (log.runs as Run[])[0]!.results.find((r) => r.ruleId === 'trust-root-principal')!;
    expect(lines[trust.locations[0]!.physicalLocation.region!.startLine - 1]).toContain('"assume_role_policy"');
  });
});
