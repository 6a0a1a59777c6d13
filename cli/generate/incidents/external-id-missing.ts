/** Incident 7: a customer role assumed without an external ID, successfully. */
import { SEC, syncCall } from '../hour';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/** The customer's trust policy does not require the external ID, and the call leaves it out. */
export const externalIdMissing: Incident = {
  id: 'external-id-missing',
  detector: 'external-id',
  hours: [16],
  build({ world, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['eu-west-1'][1]!;
    const target = plainAccounts(world, 'eu-west-1')[1]!;
    const t = T + (20 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, session, target, { externalId: undefined });
    return {
      description: `An outbound-eu session assumes customer ${target.account}'s role without an external ID, and it succeeds`,
      records: [record],
    };
  },
};
