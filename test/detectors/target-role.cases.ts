/** Cases of target-role: which role the outbound role's session assumes in a customer's (or its own) account. */
import { BASTION_ACCOUNT, CUSTOMERS, outToCustomer } from '../support/case-records';
import type { DetectorCase } from './cases';
import { CASE_REGISTRY, registryLine } from '../support/registry';

const T = '2024-08-01T10:45:22Z';
/** Two days of the usual traffic before `T`: the role is learned with `learningPeriodDays: 1`. */
const LEARNED = { learningPeriodDays: 1 };

/** A role in an account, by name (with an optional path). */
function role(account: string, name: string): string {
  return `arn:aws:iam::${account}:role/${name}`;
}

/** The backend's usual calls into acme and globex (their `vendor-integration` role) on the two days before `T`. */
const USUAL = [
  outToCustomer({ time: '2024-07-30T10:00:00Z' }),
  outToCustomer({ time: '2024-07-30T10:05:00Z', account: CUSTOMERS.globex }),
  outToCustomer({ time: '2024-07-31T10:00:00Z' }),
  outToCustomer({ time: '2024-07-31T10:05:00Z', account: CUSTOMERS.globex }),
];

/** A vendor that names each customer's role after the customer. */
const PER_CUSTOMER = [
  outToCustomer({ time: '2024-07-30T10:00:00Z', roleArn: role(CUSTOMERS.acme, 'AcmeIntegrationRole') }),
  outToCustomer({ time: '2024-07-30T10:05:00Z', account: CUSTOMERS.globex, roleArn: role(CUSTOMERS.globex, 'GlobexIntegrationRole') }),
  outToCustomer({ time: '2024-07-31T10:00:00Z', roleArn: role(CUSTOMERS.acme, 'AcmeIntegrationRole') }),
];

/** The vendor's own integration role has `Admin` in its name: that one name exempt from the default patterns. */
const OWN_ADMIN_NAMED_ROLE = { pivotRoleNameExceptions: ['AdminReadOnlyIntegration'] };

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  // ---- pivot and admin names: high, learned or not ----
  {
    name: 'fires high when the outbound session assumes OrganizationAccountAccessRole with the customer\'s right external ID',
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'OrganizationAccountAccessRole') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high on AWSControlTowerExecution',
    history: USUAL,
    record: outToCustomer({ time: T, account: CUSTOMERS.globex, roleArn: role(CUSTOMERS.globex, 'AWSControlTowerExecution') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high on a custom role with Admin in its name',
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'CrossAccountAdminAccess') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high on another Admin-named role while the vendor\'s own is exempt (pivotRoleNameExceptions names whole roles)',
    config: OWN_ADMIN_NAMED_ROLE,
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z', roleArn: role(CUSTOMERS.acme, 'AdminReadOnlyIntegration') })],
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'AdminReadOnlyIntegrationV2') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high on a lower-case administrator role under a path (names match case-insensitively, paths are ignored)',
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'ops/administrator') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high on a pivot role during the learning period, in an account never seen',
    config: { learningPeriodDays: 7 },
    history: [outToCustomer({ time: '2024-07-31T10:00:00Z' })],
    record: outToCustomer({ time: T, account: CUSTOMERS.umbrella, roleArn: role(CUSTOMERS.umbrella, 'OrganizationAccountAccessRole') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high on a denied try at OrganizationAccountAccessRole (the role only in errorMessage)',
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'OrganizationAccountAccessRole'), error: { code: 'AccessDenied' } }),
    expect: 'fires',
    severity: 'high',
  },
  {
    // Permission-set roles trust only SAML: an AssumeRole on one can only be denied, and is still an intent.
    name: 'fires high on a denied try at an IAM Identity Center AdministratorAccess role',
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef'), error: { code: 'AccessDenied' } }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high when the outbound session chains into an admin role in its own (bastion) account',
    history: USUAL,
    record: outToCustomer({ time: T, account: BASTION_ACCOUNT, roleArn: role(BASTION_ACCOUNT, 'platform-admin'), noExternalId: true }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'still fires on other admin names when the list is replaced to exempt the vendor\'s own role',
    config: OWN_ADMIN_NAMED_ROLE,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'CustomerAdmin') }),
    expect: 'fires',
    severity: 'high',
  },
  // ---- a different role in a known account: medium after learning ----
  {
    name: 'fires medium on a role name never seen in a known customer account after learning',
    config: LEARNED,
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'vendor-data-export') }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires medium when a known customer\'s account is assumed under another customer\'s role name (per-customer naming)',
    config: LEARNED,
    history: PER_CUSTOMER,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'GlobexIntegrationRole') }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires medium on a role whose earlier tries were denied (denied calls are never learned)',
    config: LEARNED,
    history: [...USUAL, outToCustomer({ time: '2024-07-31T11:00:00Z', roleArn: role(CUSTOMERS.acme, 'vendor-data-export'), error: { code: 'AccessDenied' } })],
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'vendor-data-export') }),
    expect: 'fires',
    severity: 'medium',
  },
  // ---- quiet ----
  {
    name: 'stays quiet for the usual integration role',
    config: LEARNED,
    history: USUAL,
    record: outToCustomer({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for the vendor\'s own Admin-named role when pivotRoleNameExceptions exempts it',
    config: OWN_ADMIN_NAMED_ROLE,
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z', roleArn: role(CUSTOMERS.acme, 'AdminReadOnlyIntegration') })],
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'AdminReadOnlyIntegration') }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when a new customer is onboarded with the standard role name after learning',
    config: LEARNED,
    history: USUAL,
    record: outToCustomer({ time: T, account: CUSTOMERS.initech }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when a new customer is onboarded with its own role name after learning (per-customer naming)',
    config: LEARNED,
    history: PER_CUSTOMER,
    record: outToCustomer({ time: T, account: CUSTOMERS.initech, roleArn: role(CUSTOMERS.initech, 'InitechIntegrationRole') }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a new customer\'s second role within the account\'s own learning period',
    config: LEARNED,
    history: [...USUAL, outToCustomer({ time: '2024-08-01T09:00:00Z', account: CUSTOMERS.umbrella })],
    record: outToCustomer({ time: T, account: CUSTOMERS.umbrella, roleArn: role(CUSTOMERS.umbrella, 'vendor-remediation') }),
    expect: 'quiet',
  },
  {
    name: 'learns a new role name silently during the learning period',
    config: { learningPeriodDays: 7 },
    history: [outToCustomer({ time: '2024-07-31T10:00:00Z' })],
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'vendor-data-export') }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when a customer rotates to a new version of its role (digits fold into the shape)',
    config: LEARNED,
    history: [outToCustomer({ time: '2024-07-30T10:00:00Z', roleArn: role(CUSTOMERS.acme, 'vendor-integration-v1') }), outToCustomer({ time: '2024-07-31T10:00:00Z', roleArn: role(CUSTOMERS.acme, 'vendor-integration-v1') })],
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'vendor-integration-v2') }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a known role under an admin-named path (the path is not the name)',
    config: LEARNED,
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'admin/vendor-integration') }),
    expect: 'quiet',
  },
  {
    name: 'alerts on a different role once: the next day it is known',
    config: LEARNED,
    history: [...USUAL, outToCustomer({ time: '2024-07-31T12:00:00Z', roleArn: role(CUSTOMERS.acme, 'vendor-data-export') })],
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'vendor-data-export') }),
    expect: 'quiet',
  },
  {
    name: 'leaves a denied try at an ordinary role name to failed-assume',
    config: LEARNED,
    history: USUAL,
    record: outToCustomer({ time: T, account: '600000000000', error: { code: 'AccessDenied' } }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when the outbound session chains into a bastion role it always uses (same account, judged like any other)',
    config: LEARNED,
    history: [
      outToCustomer({ time: '2024-07-30T10:00:00Z', account: BASTION_ACCOUNT, roleArn: role(BASTION_ACCOUNT, 'report-reader'), noExternalId: true }),
      outToCustomer({ time: '2024-07-31T10:00:00Z', account: BASTION_ACCOUNT, roleArn: role(BASTION_ACCOUNT, 'report-reader'), noExternalId: true }),
    ],
    record: outToCustomer({ time: T, account: BASTION_ACCOUNT, roleArn: role(BASTION_ACCOUNT, 'report-reader'), noExternalId: true }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet on pivot names when pivotRoleNamePatterns is empty (the check turned off)',
    config: { pivotRoleNamePatterns: [] },
    record: outToCustomer({ time: T, account: CUSTOMERS.umbrella, roleArn: role(CUSTOMERS.umbrella, 'OrganizationAccountAccessRole') }),
    expect: 'quiet',
  },
  // With a customer registry: the vendor's own list of which roles it may hold where.
  {
    name: 'rates a role in an account that was never a customer high, with a registry (an ex-trial account, a fresh external ID)',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, account: '908172635401', externalId: 'vnd-trial-2f1e0d9c8b7a' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a registered customer\'s account reached through a role the registry does not list high, learned or not',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'vendor-integration-readwrite') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for a registered role, even on the account\'s first contact (onboarding)',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, account: CUSTOMERS.umbrella }),
    expect: 'quiet',
  },
  {
    name: 'compares a registered role by name, case-insensitively and without its path',
    registry: [registryLine('t-0001-acme', CUSTOMERS.acme, { roleArn: role(CUSTOMERS.acme, 'integrations/Vendor-Integration') })],
    record: outToCustomer({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'lets the registry answer for a registered customer\'s per-customer role name after learning (no medium for a new shape)',
    config: LEARNED,
    registry: [registryLine('t-0001-acme', CUSTOMERS.acme, { roleArn: role(CUSTOMERS.acme, 'AcmeIntegrationRole') }), registryLine('t-0002-globex', CUSTOMERS.globex)],
    history: USUAL,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'AcmeIntegrationRole') }),
    expect: 'quiet',
  },
  {
    name: 'leaves a denied try into an unregistered account to failed-assume (offboarded customers deny for days)',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, account: '908172635401', error: { code: 'AccessDenied' } }),
    expect: 'quiet',
  },
  {
    name: 'still rates a pivot role in a registered account high with a registry',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, roleArn: role(CUSTOMERS.acme, 'OrganizationAccountAccessRole') }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'does not judge the bastion\'s own roles by the customer registry',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, account: BASTION_ACCOUNT, roleArn: role(BASTION_ACCOUNT, 'outbound-reports'), noExternalId: true }),
    expect: 'quiet',
  },
];
