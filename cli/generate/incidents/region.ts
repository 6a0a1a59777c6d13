/** Incident 10: an outbound-eu session calls through the us-east-1 STS endpoint. */
import { SEC, syncCall } from '../hour';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/** The role is bound to eu-west-1 (`roleRegions`); the call goes to another region's endpoint. */
export const region: Incident = {
  id: 'region',
  detector: 'region',
  hours: [21],
  build({ world, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['eu-west-1'][1]!;
    const target = plainAccounts(world, 'eu-west-1')[2]!;
    const t = T + (40 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, { ...session, region: 'us-east-1' }, target);
    // syncCall marked the copy as used; the session itself was used too.
    session.lastUse = Math.max(session.lastUse, t);
    return {
      description: `An outbound-eu session assumes eu customer ${target.account}'s role through the us-east-1 STS endpoint`,
      records: [record],
    };
  },
};
