/** Incident 6: an outbound session uses the JavaScript SDK's default session name. */
import { SEC, syncCall } from '../hour';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/**
 * A session-name shape never seen for the role (`aws-sdk-js-<milliseconds>`, the default of the
 * SDK's temporary-credentials provider): a script run with the backend's own SDK and session,
 * so only the name gives it away.
 */
export const sessionName: Incident = {
  id: 'session-name',
  detector: 'session-name',
  hours: [15],
  build({ world, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['us-east-1'][0]!;
    const target = plainAccounts(world, 'us-east-1')[0]!;
    const t = T + (25 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, session, target, { sessionName: 'aws-sdk-js-1722511821294' });
    return {
      description: `An outbound-us session assumes customer ${target.account}'s role with the JavaScript SDK's default session name (a shape never seen for the role)`,
      records: [record],
    };
  },
};
