/**
 * The AWS managed policies vendors most often ask for, with what each grants that an integration
 * would not need. Each entry was read from the policy's published document (the version named);
 * AWS edits these policies without notice, so the entries name actions the policy granted then,
 * not everything it grants now. docs/check-role.md's table is rendered from this list.
 */
import type { Severity } from './types';

/** One AWS managed policy as the lint describes it. */
export interface ManagedPolicyEntry {
  /** The policy's name, the last part of its ARN (`job-function/ViewOnlyAccess` is `ViewOnlyAccess`). */
  readonly name: string;
  readonly severity: Severity;
  /** What it grants beyond configuration, in a clause (no final stop). */
  readonly grants: string;
  /** Actions (or patterns) it grants that read data or secrets, or write; each a reason for the severity. */
  readonly sensitive: readonly string[];
  /** The version the entry was read from, and its date. */
  readonly version: string;
}

/** The table, by the severity of what the policy hands over. */
export const MANAGED_POLICIES: readonly ManagedPolicyEntry[] = [
  {
    name: 'AdministratorAccess',
    severity: 'high',
    grants: 'every action on every resource (`Action: *`): the vendor owns the account',
    sensitive: ['*'],
    // Its document (one statement, Allow `*` on `*`) is what defines the policy; no version was read.
    version: '—',
  },
  {
    name: 'PowerUserAccess',
    severity: 'high',
    grants: 'every action except IAM, Organizations and Account management (NotAction): every secret, object and table, and every write outside IAM',
    sensitive: ['secretsmanager:GetSecretValue', 'kms:Decrypt', 's3:*', 'ec2:*', 'lambda:*'],
    version: 'v12 (2026-02-12)',
  },
  {
    name: 'ReadOnlyAccess',
    severity: 'high',
    grants: 'reads of data, not only configuration: S3 objects, DynamoDB items, SSM parameters (SecureStrings too, with the default key), queue messages, stream records, log events, Lambda code and environment, Athena results, CodeCommit source, container images',
    sensitive: ['s3:Get*', 'dynamodb:Get*', 'dynamodb:Query', 'dynamodb:Scan', 'ssm:Get*', 'sqs:Receive*', 'kinesis:Get*', 'logs:Get*', 'logs:FilterLogEvents', 'logs:StartQuery', 'lambda:Get*', 'athena:Get*', 'codecommit:GitPull', 'ecr:BatchGet*', 'ecr:Get*', 'rds:Download*', 'es:ESHttpGet', 'cassandra:Select', 'cognito-identity:GetCredentialsForIdentity', 'sts:GetSessionToken'],
    version: 'v87 (2022-05-23)',
  },
  {
    name: 'AmazonSSMReadOnlyAccess',
    severity: 'high',
    grants: '`ssm:Get*`: every Parameter Store value, SecureStrings decrypted when the default key encrypts them',
    sensitive: ['ssm:Get*'],
    version: 'v1 (2015-05-29)',
  },
  {
    name: 'AmazonDynamoDBReadOnlyAccess',
    severity: 'high',
    grants: 'every item of every table (GetItem, Query, Scan, PartiQLSelect), and DAX the same',
    sensitive: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PartiQLSelect', 'dax:GetItem', 'dax:Query', 'dax:Scan'],
    version: 'v15 (2024-11-18)',
  },
  {
    name: 'Billing',
    severity: 'high',
    grants: 'writes to billing: payment instruments and payments, billing preferences, cost reports, tax registrations, and support cases',
    sensitive: ['payments:CreatePaymentInstrument', 'payments:MakePayment', 'aws-portal:*PaymentMethods', 'billing:UpdateBillingPreferences', 'cur:PutReportDefinition', 'tax:PutTaxRegistration', 'support:CreateCase'],
    version: 'v9 (2024-01-17)',
  },
  {
    name: 'CloudWatchReadOnlyAccess',
    severity: 'medium',
    grants: 'every log event (`logs:Get*`, FilterLogEvents, Logs Insights queries, live tail): application logs often hold tokens and personal data',
    sensitive: ['logs:Get*', 'logs:FilterLogEvents', 'logs:StartQuery', 'logs:StartLiveTail'],
    version: 'v14 (2025-12-02)',
  },
  {
    name: 'SecurityAudit',
    severity: 'medium',
    grants: 'mostly configuration, but also Lambda environment variables (GetFunctionConfiguration), CloudFormation templates (GetTemplate), RDS log files, Data Pipeline objects, and the whole IAM map (iam:Get*, the credential report)',
    sensitive: ['lambda:GetFunctionConfiguration', 'cloudformation:GetTemplate', 'rds:DownloadDBLogFilePortion', 'datapipeline:QueryObjects', 'datapipeline:EvaluateExpression', 'iam:GenerateCredentialReport'],
    version: 'v45 (2024-10-30)',
  },
  {
    name: 'ViewOnlyAccess',
    severity: 'low',
    grants: 'names and metadata of resources across services, S3 object keys (`s3:ListBucket`) and CloudWatch metric data; no contents',
    sensitive: ['s3:ListBucket'],
    version: 'v36 (2026-02-11)',
  },
];

/** `arn:<partition>:iam::aws:policy/[path/]Name`: an AWS managed policy. */
const AWS_MANAGED = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/;

/** The name of an AWS managed policy's ARN, or null when the ARN is not one. */
export function awsManagedName(arn: string): string | null {
  return AWS_MANAGED.exec(arn)?.[1] ?? null;
}

/** The table's entry for a policy name, or null when the table does not know it. */
export function managedPolicyEntry(name: string): ManagedPolicyEntry | null {
  return MANAGED_POLICIES.find((p) => p.name === name) ?? null;
}
