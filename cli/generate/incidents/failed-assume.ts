/** Incident 9: an outbound session is denied into 25 unknown accounts within 5 minutes (probing). */
import { assumeRole, SEC } from '../hour';
import { USER_AGENTS, type CloudTrailRecord } from '../records';
import { SCENARIO } from '../scenario';
import { drawAccount, scenarioRole } from '../world';
import type { Incident } from './incident';

const PROBES = 25;

/** Made-up accounts (none a customer's), each asked once for the customer role name. */
export const failedAssume: Incident = {
  id: 'failed-assume',
  detector: 'failed-assume',
  hours: [20],
  build({ world, hourStart: T }, b, benign) {
    const { rng } = b;
    const session = benign.outboundSessions['us-east-1'][0]!;
    const t0 = T + (30 * 60 + rng.int(60)) * SEC;
    const records: CloudTrailRecord[] = [];
    const seen = new Set(world.taken);
    for (let i = 0; i < PROBES; i++) {
      let account: string;
      do account = drawAccount(rng);
      while (seen.has(account));
      seen.add(account);
      const role = scenarioRole(world.seed, `arn:aws:iam::${account}:role/${SCENARIO.customerRoleName}`);
      const at = t0 + Math.floor((i / PROBES) * 270 * SEC) + rng.int(5000);
      records.push(assumeRole(b, {
        t: at,
        caller: { kind: 'session', session },
        region: 'us-east-1',
        sourceIp: session.sourceIp,
        userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
        role,
        sessionName: `sync-${Math.floor(at / SEC)}`,
        durationSeconds: 900,
        externalId: rng.uuid(),
        denied: true,
      }).record);
    }
    return {
      description: `An outbound-us session gets AccessDenied on VendorIntegrationRole in ${PROBES} unknown accounts within 5 minutes (probing)`,
      records,
    };
  },
};
