/**
 * The scheduled re-check's Lambda handler: one run per scheduled event (recheck.ts), its outcome
 * logged, and the invocation failed (the function's error alarm) when a role could not be asked
 * or an alert could not be published. Everything it uses is injected; environment.ts builds the
 * real dependencies.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { RecheckFailed, recheckCustomers, type RecheckDependencies, type RecheckOutcome } from './recheck';

/** The run's dependencies and its logger. */
export interface RecheckHandlerDependencies extends RecheckDependencies {
  readonly logger: Logger;
}

/** The part of an EventBridge scheduled event the handler reads: its id (the same on a repeated invocation). */
export interface ScheduledEventLike {
  readonly id?: string;
}

/** Roles listed one by one in the log when they could not be asked; past this they are counted. */
const MAX_FAILURES_LOGGED = 50;

/** The handler for these dependencies. */
export function createRecheckHandler(deps: RecheckHandlerDependencies): (event: ScheduledEventLike) => Promise<RecheckOutcome> {
  const { logger } = deps;
  return async (event) => {
    const runId = typeof event?.id === 'string' && event.id !== '' ? event.id : new Date(deps.now()).toISOString();
    let outcome: RecheckOutcome;
    try {
      outcome = await recheckCustomers(deps, runId);
    } catch (e) {
      if (e instanceof RecheckFailed) logger.error('re-check could not run', { error: e.message, code: e.error?.code });
      throw e;
    }
    for (const roleArn of outcome.accepted) logger.error('customer role accepted a request without an external ID', { roleArn });
    for (const f of outcome.failed.slice(0, MAX_FAILURES_LOGGED)) logger.error('customer role could not be re-checked', { roleArn: f.roleArn, code: f.error.code, message: f.error.message, attempts: f.error.attempts ?? undefined });
    logger.info('re-check done', { runId, roles: outcome.roles, refused: outcome.refused, accepted: outcome.accepted.length, failed: outcome.failed.length, unpublished: outcome.unpublished.length });
    if (outcome.failed.length > 0 || outcome.unpublished.length > 0) {
      throw new Error(`re-check incomplete: ${outcome.failed.length} of ${outcome.roles} roles could not be asked, ${outcome.unpublished.length} alerts not published (see the log)`);
    }
    return outcome;
  };
}
