/** Incident 13: a live outbound session, opened by the backend's JavaScript SDK, goes on with boto3. */
import { getCallerIdentity, SEC, syncCall } from '../hour';
import { USER_AGENTS } from '../records';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/**
 * Someone on a host behind the same NAT (a debug shell in the task, a compromised build box)
 * copied the session's credentials: same address, same session, another SDK.
 */
export const client: Incident = {
  id: 'client',
  detector: 'client',
  hours: [19],
  build({ world, calendar, hourStart: T }, b, benign) {
    const { rng } = b;
    const session = benign.outboundSessions['eu-west-1'][0]!;
    const target = plainAccounts(world, 'eu-west-1')[1]!;
    const t = T + (30 * 60 + rng.int(600)) * SEC;
    const whoami = getCallerIdentity(b, t, session, { userAgent: USER_AGENTS.boto3 });
    const at = t + (30 + rng.int(30)) * SEC;
    const assume = syncCall(b, at, session, target, { userAgent: USER_AGENTS.boto3, externalId: calendar.externalIdAt(target, at) });
    return {
      description: `Outbound-eu session ${session.accessKeyId}, opened and used by the backend's JavaScript SDK, calls GetCallerIdentity and assumes customer ${target.account}'s role with boto3, from the same nat-eu address`,
      records: [whoami, assume],
    };
  },
};
