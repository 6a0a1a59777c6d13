/** Incident 14: slow probing, a few denied AssumeRole calls an hour from a new outbound session each hour. */
import { assumeRole, openOutboundSession, SEC } from '../hour';
import { USER_AGENTS, type CloudTrailRecord } from '../records';
import { drawAccount, scenarioRole } from '../world';
import type { Incident } from './incident';

/** Role names other vendors' customers give them: the prober looks for any that trusts this vendor. */
const ROLE_NAMES = ['VendorIntegrationRole', 'ReadOnlyIntegrationRole', 'SecurityAuditRole', 'CostExplorerAccess', 'cross-account-readonly', 'MonitoringIntegration'];
const HOURS = [0, 1, 2, 3, 4, 5, 6, 7, 8];
/** Roles tried an hour, each with two guessed external IDs: the account number, then a UUID. */
const ROLES_PER_HOUR = 3;
const PROBES_PER_HOUR = 2 * ROLES_PER_HOUR;

/**
 * A compromised backend task opens a fresh outbound-eu session every hour (as the backend does)
 * and makes a handful of denied calls into accounts that are no customers, guessing two external
 * IDs for each role: never near failedAssumeMaxCalls in 15 minutes, but 54 in the morning, over
 * the day's ceiling of 50.
 */
export const failedAssumeSlow: Incident = {
  id: 'failed-assume-slow',
  detector: 'failed-assume',
  hours: HOURS,
  build({ world, hourStart: T }, b, benign) {
    const { rng } = b;
    const task = benign.backendSessions['eu-west-1'][0]!;
    const t = T + (3 * 60 + rng.int(240)) * SEC;
    const into = openOutboundSession(b, t, task, world.outbound['eu-west-1'], 'eu-west-1');
    const session = into.session;
    const records: CloudTrailRecord[] = [into.record];
    for (let i = 0; i < ROLES_PER_HOUR; i++) {
      let account: string;
      do account = drawAccount(rng);
      while (world.taken.has(account));
      world.taken.add(account);
      const role = scenarioRole(world.seed, `arn:aws:iam::${account}:role/${ROLE_NAMES[rng.int(ROLE_NAMES.length)]!}`);
      for (const [j, externalId] of [account, rng.uuid()].entries()) {
        const at = T + (8 * 60 + (2 * i + j) * 9 * 60 + rng.int(240)) * SEC;
        records.push(assumeRole(b, {
          t: at,
          caller: { kind: 'session', session },
          region: 'eu-west-1',
          sourceIp: session.sourceIp,
          userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
          role,
          sessionName: `sync-${Math.floor(at / SEC)}`,
          durationSeconds: 900,
          externalId,
          denied: true,
        }).record);
      }
    }
    return {
      description: `Slow probing: from 00:00 to 09:00 a new outbound-eu session every hour (the backend's task, NAT and SDK) gets AccessDenied ${PROBES_PER_HOUR} times on ${ROLES_PER_HOUR} roles in accounts that are no customers, two guessed external IDs each (${PROBES_PER_HOUR * HOURS.length} calls, never 10 in 15 minutes)`,
      records,
    };
  },
};
