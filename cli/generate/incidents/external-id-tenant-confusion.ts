/** Incident 8: one customer's role assumed with another customer's external ID (tenant confusion). */
import { SEC, syncCall } from '../hour';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/** The victim's role accepts it: the external ID belongs to a different tenant. */
export const externalIdTenantConfusion: Incident = {
  id: 'external-id-tenant-confusion',
  detector: 'external-id',
  hours: [18],
  build({ world, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['us-east-1'][1]!;
    const [, a, victim] = plainAccounts(world, 'us-east-1');
    const t = T + (20 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, session, victim!, { externalId: a!.externalId });
    return {
      description: `An outbound-us session assumes customer ${victim!.account}'s role with customer ${a!.account}'s external ID (tenant confusion), and it succeeds`,
      records: [record],
    };
  },
};
