/** Incident 5: one outbound-eu session assumes hundreds of customer roles in ten minutes. */
import { getCallerIdentity, openOutboundSession, SEC, syncCall } from '../hour';
import type { CloudTrailRecord } from '../records';
import type { Incident } from './incident';

/** A fresh, normal-looking session, then a burst that dwarfs even the daily scan. */
export const callVolume: Incident = {
  id: 'call-volume',
  detector: 'call-volume',
  hours: [14],
  build({ world, calendar, hourStart: T }, b, benign) {
    const { rng } = b;
    const task = benign.backendSessions['eu-west-1'][0]!;
    const t = T + (5 + rng.int(10)) * SEC;
    const { session } = openOutboundSession(b, t, task, world.outbound['eu-west-1'], 'eu-west-1');
    getCallerIdentity(b, t + 1500, session!);
    // The accounts the backend syncs now: an attacker drives the backend's own customer list.
    const targets = calendar.activeAccounts('eu-west-1', t);
    // 600 at the default size; more for large customer counts so it still dwarfs the daily scan.
    const calls = Math.max(600, targets.length * 4 * 6);
    const records: CloudTrailRecord[] = [];
    for (let i = 0; i < calls; i++) {
      const at = t + 20 * SEC + Math.floor((i / calls) * 570 * SEC) + rng.int(1000);
      const target = targets[i % targets.length]!;
      records.push(syncCall(b, at, session!, target, { externalId: calendar.externalIdAt(target, at) }));
    }
    return {
      description: `One outbound-eu session assumes ${calls} customer roles (${targets.length} accounts, cycled) within 10 minutes from 14:00`,
      records,
    };
  },
};
