/** Incident 12: an outbound session asks for a customer role with a session policy allowing every action. */
import { SEC, syncCall } from '../hour';
import { plainAccounts } from '../world';
import type { Incident } from './incident';

/** What someone holding the session asks for to keep everything the role allows (the backend never sends a policy). */
const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

/** From nat-us with the backend's SDK, session name and the customer's own external ID: only the request gives it away. */
export const sessionRequest: Incident = {
  id: 'session-request',
  detector: 'session-request',
  hours: [17],
  build({ world, calendar, hourStart: T }, b, benign) {
    const session = benign.outboundSessions['us-east-1'][0]!;
    const target = plainAccounts(world, 'us-east-1')[1]!;
    const t = T + (35 * 60 + b.rng.int(600)) * SEC;
    const record = syncCall(b, t, session, target, { externalId: calendar.externalIdAt(target, t), policy: ALLOW_ALL });
    return {
      description: `An outbound-us session assumes customer ${target.account}'s role asking for a session policy that allows every action ("Action": "*"), from nat-us with the backend's client`,
      records: [record],
    };
  },
};
