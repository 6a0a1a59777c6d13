/** Incident 11: an outbound session assumes OrganizationAccountAccessRole in a customer's account. */
import { SEC, syncCall } from '../hour';
import { plainAccounts, scenarioRole } from '../world';
import type { Incident } from './incident';

/**
 * Everything else is the backend's: its session, NAT, SDK, session-name scheme, and the
 * customer's own external ID (a customer whose organisation's access role trusts the vendor's
 * account with it). Only the role gives it away: it administers the whole account.
 */
export const targetRolePivot: Incident = {
  id: 'target-role-pivot',
  detector: 'target-role',
  hours: [13],
  build({ world, calendar, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['us-east-1'][1]!;
    const customer = plainAccounts(world, 'us-east-1')[0]!;
    const pivot = scenarioRole(world.seed, `arn:aws:iam::${customer.account}:role/OrganizationAccountAccessRole`);
    const t = T + (25 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, session, { ...customer, role: pivot }, { externalId: calendar.externalIdAt(customer, t) });
    return {
      description: `An outbound-us session assumes OrganizationAccountAccessRole in customer ${customer.account}'s account, with that customer's external ID, from nat-us with the backend's SDK and session names`,
      records: [record],
    };
  },
};
