/**
 * IAM action names as the lint judges them: a short, documented list of sensitive actions that
 * wildcards are expanded against (no network: the list is the lint's, not AWS's whole catalogue),
 * and whether an action (or pattern) can write, told by its verb.
 *
 * Action names are case-insensitive in IAM, so every comparison is on lower case.
 */
import { glob } from '../../lambdas/core/arn-patterns';

/** Why an action is on the sensitive list. */
export type SensitiveKind = 'secret' | 'data' | 'privilege';

/**
 * Actions that hand over secrets, data or more privileges. A monitoring or posture integration
 * needs configuration, never these; a wildcard that covers one (`ssm:Get*`, `s3:Get*`) is
 * reported with the actions it covers.
 */
export const SENSITIVE_ACTIONS: Readonly<Record<SensitiveKind, readonly string[]>> = {
  // Credentials and secrets, or what decrypts them.
  secret: [
    'secretsmanager:GetSecretValue',
    'secretsmanager:BatchGetSecretValue',
    'ssm:GetParameter',
    'ssm:GetParameters',
    'ssm:GetParametersByPath',
    'ssm:GetParameterHistory',
    'kms:Decrypt',
    'kms:GenerateDataKey',
    'lambda:GetFunction', // the code's download URL and the environment variables
    'lambda:GetFunctionConfiguration', // the environment variables
    'glue:GetConnection', // connection passwords
    'glue:GetConnections',
    'ec2:GetPasswordData',
    'ecr:GetAuthorizationToken',
    'codeartifact:GetAuthorizationToken',
    'cognito-identity:GetCredentialsForIdentity',
    'sts:GetSessionToken',
    'sts:GetFederationToken',
    'iam:CreateAccessKey',
    'iam:CreateLoginProfile',
    'iam:UpdateLoginProfile',
    'cloudformation:GetTemplate', // parameter defaults and inline values
  ],
  // The customer's data: objects, items, messages, records, logs, query results, source, images.
  data: [
    's3:GetObject',
    's3:GetObjectVersion',
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:PartiQLSelect',
    'dax:GetItem',
    'dax:BatchGetItem',
    'dax:Query',
    'dax:Scan',
    'sqs:ReceiveMessage',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'logs:GetLogEvents',
    'logs:FilterLogEvents',
    'logs:StartQuery',
    'logs:GetQueryResults',
    'logs:StartLiveTail',
    'athena:GetQueryResults',
    'athena:StartQueryExecution',
    'rds:DownloadDBLogFilePortion',
    'rds:DownloadCompleteDBLogFile',
    'rds-data:ExecuteStatement',
    'redshift-data:GetStatementResult',
    'datapipeline:QueryObjects',
    'datapipeline:EvaluateExpression',
    'es:ESHttpGet',
    'cassandra:Select',
    'codecommit:GitPull',
    'codecommit:GetFile',
    'codecommit:GetBlob',
    'ecr:BatchGetImage',
    'ecr:GetDownloadUrlForLayer',
    'ec2:GetConsoleOutput',
    'ec2:GetConsoleScreenshot',
    'glacier:GetJobOutput',
    'backup:GetRecoveryPointRestoreMetadata',
  ],
  // Ways to more privileges or to run code.
  privilege: [
    'iam:PassRole',
    'sts:AssumeRole',
    'iam:CreateRole',
    'iam:CreateUser',
    'iam:CreatePolicy',
    'iam:CreatePolicyVersion',
    'iam:SetDefaultPolicyVersion',
    'iam:AttachRolePolicy',
    'iam:AttachUserPolicy',
    'iam:AttachGroupPolicy',
    'iam:PutRolePolicy',
    'iam:PutUserPolicy',
    'iam:PutGroupPolicy',
    'iam:UpdateAssumeRolePolicy',
    'iam:AddUserToGroup',
    'ssm:SendCommand',
    'ssm:StartSession',
    'ec2-instance-connect:SendSSHPublicKey',
    'lambda:UpdateFunctionCode',
    'lambda:InvokeFunction',
  ],
};

/** Every sensitive action, lower case, with its kind and its name as AWS writes it. */
const SENSITIVE: ReadonlyMap<string, { readonly name: string; readonly kind: SensitiveKind }> = new Map(
  (Object.entries(SENSITIVE_ACTIONS) as [SensitiveKind, readonly string[]][]).flatMap(([kind, names]) => names.map((name) => [name.toLowerCase(), { name, kind }] as const)),
);

/**
 * Verbs that read: an action whose name starts with one of them (then a capital letter, the end
 * or a wildcard) reads; any other verb may write. `Start`/`Stop` of logs queries and `Filter`,
 * `Receive` read data but are on the sensitive list anyway.
 */
const READ_VERBS = [
  'Check',
  'Count',
  'Describe',
  'Detect',
  'Discover',
  'Download',
  'Estimate',
  'Evaluate',
  'Filter',
  'Generate',
  'Get',
  'Is',
  'List',
  'Lookup',
  'Preview',
  'Query',
  'Read',
  'Receive',
  'Retrieve',
  'Scan',
  'Search',
  'Select',
  'Simulate',
  'Test',
  'Validate',
  'Verify',
  'View',
];

/** Reads whose verb says otherwise. */
const READS_DESPITE_VERB = new Set(['logs:startquery', 'logs:stopquery', 'logs:startlivetail', 'logs:stoplivetail', 'xray:starttraceretrieval', 'cloudtrail:lookupevents']);

/** API Gateway's management actions are HTTP methods. */
const APIGATEWAY_READS = new Set(['get', 'head', 'options']);

/** The service and the name of an action or pattern (`s3:Get*` → s3, Get*); null when it has no colon. */
export function splitAction(action: string): { service: string; name: string } | null {
  const colon = action.indexOf(':');
  return colon <= 0 ? null : { service: action.slice(0, colon), name: action.slice(colon + 1) };
}

/**
 * Whether an action, or a pattern of actions, can include a write. A pattern reads only when its
 * literal start is a read verb: `Get*` reads, `De*` may be Delete, `*Object` may be Put.
 */
export function mayWrite(action: string): boolean {
  const parts = splitAction(action);
  if (!parts) return true;
  const lower = action.toLowerCase();
  if (READS_DESPITE_VERB.has(lower)) return false;
  if (parts.service.toLowerCase() === 'apigateway') return !APIGATEWAY_READS.has(parts.name.toLowerCase().replace(/\*$/, ''));
  // BatchGetItem, BatchCheckLayerAvailability: a batch of reads reads.
  const name = parts.name.startsWith('Batch') && parts.name.length > 5 ? parts.name.slice(5) : parts.name;
  return !READ_VERBS.some((verb) => {
    if (!name.startsWith(verb)) return false;
    const next = name.charAt(verb.length);
    return next === '' || next === '*' || next === '?' || (next >= 'A' && next <= 'Z');
  });
}

/** Whether a pattern (`*`, `?`) matches an action name, case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern.toLowerCase())(action.toLowerCase());
}

/**
 * Whether every action `inner` stands for is also one `outer` stands for (for literal names,
 * simply a match). A wildcard of `inner` is matched as a literal character, which `outer`'s own
 * wildcard absorbs: `s3:Get*` covers `s3:GetBucket*`, and `s3:Get*Policy` does not cover `s3:Get*`.
 */
export function actionCovers(outer: string, inner: string): boolean {
  return glob(outer.toLowerCase())(inner.toLowerCase());
}

/** The sensitive actions a pattern grants, as AWS writes them, with why each is sensitive. */
export function sensitiveMatches(pattern: string): { name: string; kind: SensitiveKind }[] {
  const lower = pattern.toLowerCase();
  const exact = SENSITIVE.get(lower);
  if (exact) return [exact];
  if (!lower.includes('*') && !lower.includes('?')) return [];
  const matches = glob(lower);
  return [...SENSITIVE.entries()].filter(([name]) => matches(name)).map(([, v]) => v);
}

/** The sensitive actions of one service (for `service:*`). */
export function sensitiveOfService(service: string): string[] {
  const prefix = `${service.toLowerCase()}:`;
  return [...SENSITIVE.entries()].filter(([name]) => name.startsWith(prefix)).map(([, v]) => v.name);
}
