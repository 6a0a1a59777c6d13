/** Incident 3: stolen backend credentials assume the outbound role from a Tor exit. */
import { openOutboundSession, SEC, syncCall } from '../hour';
import { USER_AGENTS } from '../records';
import { SCENARIO } from '../scenario';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/** The into-call and the new session's out-call both come from an address that is neither AWS nor allowed. */
export const sourceIp: Incident = {
  id: 'source-ip',
  detector: 'source-ip',
  hours: [11],
  build({ world, hourStart: T }, b, benign) {
    const { rng } = b;
    const stolen = benign.backendSessions['eu-west-1'][0]!;
    const t = T + (35 * 60 + rng.int(600)) * SEC;
    const into = openOutboundSession(b, t, stolen, world.outbound['eu-west-1'], 'eu-west-1', { sourceIp: SCENARIO.attackerIp, userAgent: USER_AGENTS.boto3 });
    const target = plainAccounts(world, 'eu-west-1')[0]!;
    const out = syncCall(b, t + (40 + rng.int(20)) * SEC, into.session, target, { userAgent: USER_AGENTS.boto3 });
    return {
      description: `Stolen integration-backend credentials assume ${world.outbound['eu-west-1'].arn} from ${SCENARIO.attackerIp} (not AWS, not allowed); the new session then assumes customer ${target.account}'s role from there`,
      records: [into.record, out],
    };
  },
};
