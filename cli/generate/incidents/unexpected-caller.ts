/** Incident 2: the report-exporter Lambda's role session assumes the outbound role. */
import { openOutboundSession, SEC } from '../hour';
import { USER_AGENTS } from '../records';
import type { Incident } from './incident';

/** A workload that is not an expected caller, from an allowed address, with the backend's session naming. */
export const unexpectedCaller: Incident = {
  id: 'unexpected-caller',
  detector: 'unexpected-caller',
  hours: [10],
  build({ world, hourStart: T }, b, benign) {
    const { rng } = b;
    const lambda = benign.reportExporterSession!;
    const t = Math.max(lambda.createdAt + 20 * SEC, T + (30 * 60 + rng.int(600)) * SEC);
    const { record } = openOutboundSession(b, t, lambda, world.outbound['us-east-1'], 'us-east-1', { userAgent: USER_AGENTS.jsSdkOnLambda });
    return {
      description: `The report-exporter Lambda's role session assumes ${world.outbound['us-east-1'].arn} (not an expected caller) from nat-us`,
      records: [record],
    };
  },
};
