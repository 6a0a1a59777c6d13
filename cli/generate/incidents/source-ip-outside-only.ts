/** Incident 15: an outbound session whose creation these logs never saw is used only from outside. */
import { getCallerIdentity, listBuckets, SEC, type Session } from '../hour';
import { drawSessionKeyId, USER_AGENTS } from '../records';
import { SCENARIO } from '../scenario';
import type { Incident } from './incident';

/**
 * The session was minted through an STS endpoint of a region whose events this trail does not
 * deliver here (the vendor forwards its two regions only), so no AssumeRole shows where it came
 * from, and it is never used from the vendor's NAT: its first call is the only tell.
 */
export const sourceIpOutsideOnly: Incident = {
  id: 'source-ip-outside-only',
  detector: 'source-ip',
  hours: [22],
  build({ world, hourStart: T }, b) {
    const { rng } = b;
    const createdAt = T - (20 + rng.int(20)) * 60 * SEC;
    const session: Session = {
      role: world.outbound['eu-west-1'],
      name: `backend-${rng.mixedHex(8)}`,
      accessKeyId: drawSessionKeyId(rng),
      createdAt,
      sourceIp: SCENARIO.outsiderIp,
      userAgent: USER_AGENTS.boto3,
      region: 'eu-west-1',
      lastUse: createdAt,
    };
    const t = T + (10 * 60 + rng.int(600)) * SEC;
    const whoami = getCallerIdentity(b, t, session);
    const list = listBuckets(b, t + (15 + rng.int(20)) * SEC, session, SCENARIO.outsiderIp, USER_AGENTS.boto3);
    return {
      description: `Outbound-eu session ${session.accessKeyId}, whose creation is not in these logs, calls GetCallerIdentity and ListBuckets from ${SCENARIO.outsiderIp} (not AWS, not allowed) and from nowhere else`,
      records: [whoami, list],
    };
  },
};
