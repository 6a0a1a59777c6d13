/** Incident 1: an IAM user (alice) assumes the outbound role with the AWS CLI. */
import { assumeRole, SEC } from '../hour';
import { USER_AGENTS } from '../records';
import { SCENARIO } from '../scenario';
import type { Incident } from './incident';

/** A person, not the backend, in the outbound role: from a jump host behind nat-eu. */
export const humanPrincipal: Incident = {
  id: 'human-principal',
  detector: 'human-principal',
  hours: [9],
  build({ world, hourStart: T }, b) {
    const t = T + (20 * 60 + b.rng.int(600)) * SEC;
    const { record } = assumeRole(b, {
      t,
      caller: { kind: 'user', user: world.alice },
      region: 'eu-west-1',
      sourceIp: SCENARIO.natGroups['eu-west-1'].eips[0],
      userAgent: USER_AGENTS.cliOnLinux,
      role: world.outbound['eu-west-1'],
      sessionName: 'alice',
      durationSeconds: 3600,
    });
    return {
      description: `IAM user alice assumes ${world.outbound['eu-west-1'].arn} with the AWS CLI from a jump host behind nat-eu`,
      records: [record],
    };
  },
};
