/**
 * The scenario's world, fixed for a seed and a customer count: the customers' accounts, roles
 * and external IDs, the bastion account's roles and users.
 */
import { HEX, rngFor, type Rng } from './random';
import { drawRoleId, drawUserId, drawUserKeyId, roleRef, type IamUserRef, type RoleRef } from './records';
import { ACCOUNT, iamArn, SCENARIO, type Region } from './scenario';

/** One AWS account of a customer, with the role it created for the vendor. */
export interface CustomerAccount {
  readonly customer: number;
  readonly account: string;
  readonly region: Region;
  readonly externalId: string;
  readonly role: RoleRef;
  readonly offboarded: boolean;
  /** The customer's second account (shares the external ID). */
  readonly secondary: boolean;
  /** The customer has two accounts. */
  readonly multi: boolean;
}

/** Everyone the traffic is about. */
export interface World {
  readonly seed: number;
  /** Customers at the start of the period (new ones are numbered from here, see calendar.ts). */
  readonly customers: number;
  readonly accounts: readonly CustomerAccount[];
  readonly byRegion: Readonly<Record<Region, readonly CustomerAccount[]>>;
  readonly outbound: Readonly<Record<Region, RoleRef>>;
  readonly backend: RoleRef;
  /** The backend's task role after the deploy that renamed it. */
  readonly backendV2: RoleRef;
  readonly reportExporter: RoleRef;
  readonly logShipper: RoleRef;
  readonly configRole: RoleRef;
  readonly instanceRole: RoleRef;
  readonly trustedAdvisor: RoleRef;
  readonly instanceIds: Readonly<Record<Region, string>>;
  readonly opsAdmin: IamUserRef;
  readonly alice: IamUserRef;
  /**
   * Account numbers in use, so made-up ones (probed strangers) never collide with them; new
   * customers' and strangers' accounts are added as they are drawn.
   */
  readonly taken: Set<string>;
}

const MULTI_ACCOUNT_CUSTOMERS = [1, 3];
const OFFBOARDED_CUSTOMER = 5;
/** Smallest customer count for which every incident has distinct customers to use. */
export const MIN_CUSTOMERS = 10;

/** A role of the scenario; its unique ID depends only on the seed and the ARN. */
export function scenarioRole(seed: number, arn: string): RoleRef {
  return roleRef(arn, drawRoleId(rngFor(seed, 'role-id', arn)));
}

function scenarioUser(seed: number, name: string): IamUserRef {
  const rng = rngFor(seed, 'user', name);
  return { arn: iamArn('user', name), name, account: ACCOUNT, id: drawUserId(rng), accessKeyId: drawUserKeyId(rng) };
}

/** A made-up 12-digit account number. */
export const drawAccount = (rng: Rng): string =>
  `${1 + rng.int(9)}${rng.chars('0123456789', 11)}`;

/** The world of `seed` with `customers` customers (three in five in eu-west-1). */
export function buildWorld(seed: number, customers: number): World {
  const rng = rngFor(seed, 'customers');
  const taken = new Set<string>([ACCOUNT]);
  const newAccount = (): string => {
    for (;;) {
      const a = drawAccount(rng);
      if (!taken.has(a)) {
        taken.add(a);
        return a;
      }
    }
  };
  const accounts: CustomerAccount[] = [];
  for (let i = 0; i < customers; i++) {
    const region: Region = i % 5 < 3 ? 'eu-west-1' : 'us-east-1';
    const externalId = rngFor(seed, 'external-id', i).uuid();
    const multi = MULTI_ACCOUNT_CUSTOMERS.includes(i);
    const n = multi ? 2 : 1;
    for (let k = 0; k < n; k++) {
      const account = newAccount();
      accounts.push({
        customer: i,
        account,
        region,
        externalId,
        role: scenarioRole(seed, `arn:aws:iam::${account}:role/${SCENARIO.customerRoleName}`),
        offboarded: i === OFFBOARDED_CUSTOMER,
        secondary: k === 1,
        multi,
      });
    }
  }
  const ids = rngFor(seed, 'instances');
  return {
    seed,
    customers,
    accounts,
    byRegion: {
      'eu-west-1': accounts.filter((a) => a.region === 'eu-west-1'),
      'us-east-1': accounts.filter((a) => a.region === 'us-east-1'),
    },
    outbound: {
      'eu-west-1': scenarioRole(seed, SCENARIO.outboundRoleArns['eu-west-1']),
      'us-east-1': scenarioRole(seed, SCENARIO.outboundRoleArns['us-east-1']),
    },
    backend: scenarioRole(seed, SCENARIO.backendRoleArn),
    backendV2: scenarioRole(seed, SCENARIO.backendV2RoleArn),
    reportExporter: scenarioRole(seed, iamArn('role', 'report-exporter')),
    logShipper: scenarioRole(seed, iamArn('role', 'service-role/log-shipper-role-k2v9x1qa')),
    configRole: scenarioRole(seed, iamArn('role', 'aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig')),
    instanceRole: scenarioRole(seed, iamArn('role', 'bastion-ssm-instance')),
    trustedAdvisor: scenarioRole(seed, iamArn('role', 'aws-service-role/trustedadvisor.amazonaws.com/AWSServiceRoleForTrustedAdvisor')),
    instanceIds: { 'eu-west-1': `i-0${ids.chars(HEX, 16)}`, 'us-east-1': `i-0${ids.chars(HEX, 16)}` },
    opsAdmin: scenarioUser(seed, 'ops-admin'),
    alice: scenarioUser(seed, 'alice'),
    taken,
  };
}

/** Active single-account customers of a region (incident targets that involve no special case). */
export const plainAccounts = (world: World, region: Region): CustomerAccount[] =>
  world.byRegion[region].filter((a) => !a.offboarded && !a.multi);
