/** Incident 4: an outbound session's key, used from nat-us, is replayed from elsewhere. */
import { getCallerIdentity, listBuckets, SEC, sessionArn } from '../hour';
import { USER_AGENTS } from '../records';
import { SCENARIO } from '../scenario';
import type { Incident } from './incident';

/** GetCallerIdentity and ListBuckets from a foreign address, after the session's normal use. */
export const sessionLocations: Incident = {
  id: 'session-locations',
  detector: 'session-locations',
  hours: [12],
  build(_ctx, b, benign) {
    const { rng } = b;
    const session = benign.outboundSessions['us-east-1'][0]!;
    const t = session.lastUse + (30 + rng.int(20)) * SEC;
    const gci = getCallerIdentity(b, t, session, { sourceIp: SCENARIO.foreignIp, userAgent: USER_AGENTS.boto3 });
    const list = listBuckets(b, t + (20 + rng.int(15)) * SEC, session, SCENARIO.foreignIp, USER_AGENTS.boto3);
    return {
      description: `Access key ${session.accessKeyId} of outbound-us session ${sessionArn(session)}, used from nat-us, is replayed from ${SCENARIO.foreignIp} (GetCallerIdentity, ListBuckets)`,
      records: [gci, list],
    };
  },
};
