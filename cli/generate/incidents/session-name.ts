/** Incident 6: an outbound session uses the Go SDK's default session name. */
import { SEC, syncCall } from '../hour';
import { USER_AGENTS } from '../records';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/** A session-name shape never seen for the role (`aws-go-sdk-<nanoseconds>`). */
export const sessionName: Incident = {
  id: 'session-name',
  detector: 'session-name',
  hour: 15,
  build({ world, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['us-east-1'][0]!;
    const target = plainAccounts(world, 'us-east-1')[0]!;
    const t = T + (25 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, session, target, { sessionName: 'aws-go-sdk-1722511821294449000', userAgent: USER_AGENTS.goSdk });
    return {
      description: `An outbound-us session assumes customer ${target.account}'s role with the Go SDK's default session name (a shape never seen for the role)`,
      records: [record],
    };
  },
};
