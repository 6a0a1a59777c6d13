/** Incident 16: an outbound session assumes the integration role of an account that was never a customer. */
import { SEC, syncCall } from '../hour';
import { SCENARIO } from '../scenario';
import { drawAccount, scenarioRole, type CustomerAccount } from '../world';
import type { Incident } from './incident';

/**
 * An ex-trial account: it installed the vendor's stack for a trial and never signed up, and the
 * role is still there. With a fresh external ID the call looks like an onboarding in every
 * respect; only the vendor's customer registry, which never listed the account, tells them apart.
 */
export const targetRoleUnregistered: Incident = {
  id: 'target-role-unregistered',
  detector: 'target-role',
  requires: 'customerRegistry',
  hours: [23],
  build({ world, hourStart: T }, b, benign) {
    const { rng } = b;
    const session = benign.outboundSessions['eu-west-1'][0]!;
    let account: string;
    do account = drawAccount(rng);
    while (world.taken.has(account));
    world.taken.add(account);
    const trial: CustomerAccount = {
      customer: -1,
      account,
      region: 'eu-west-1',
      externalId: rng.uuid(),
      role: scenarioRole(world.seed, `arn:aws:iam::${account}:role/${SCENARIO.customerRoleName}`),
      offboarded: false,
      secondary: false,
      multi: false,
    };
    const record = syncCall(b, T + (15 * 60 + rng.int(600)) * SEC, session, trial);
    return {
      description: `An outbound-eu session assumes ${SCENARIO.customerRoleName} in ex-trial account ${account}, never a customer, with a fresh external ID (only the customer registry tells it from an onboarding)`,
      records: [record],
    };
  },
};
