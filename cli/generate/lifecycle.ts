/**
 * What the calendar (calendar.ts) adds to an hour, each from a stream of its own so the hour's
 * benign draws stay as they were: the sync calls benign.ts drew but left to it (a customer's role
 * gone, the eu sync on the us workers), new customers' onboarding and their place in the hourly
 * sync, and the ECS tasks the rename deploy starts.
 */
import type { BenignHour } from './benign';
import { assumeRole, ecsDeliversCredentials, getCallerIdentity, SEC, syncCall, type Builder, type HourContext, type Sink } from './hour';
import { rngFor } from './random';
import { USER_AGENTS } from './records';
import { REGIONS } from './scenario';

/** Adds the calendar's calls of this hour to `sink`. */
export function lifecycleHour(ctx: HourContext, sink: Sink, benign: BenignHour): void {
  replayDeferred(ctx, { rng: rngFor(ctx.seed, 'moved-sync', ctx.hourStart), sink }, benign);
  onboarding(ctx, sink, benign);
  onboardedSync(ctx, { rng: rngFor(ctx.seed, 'onboarded-sync', ctx.hourStart), sink }, benign);
  deploy(ctx, { rng: rngFor(ctx.seed, 'deploy'), sink }, benign);
}

/**
 * The scheduled calls benign.ts drew but did not make: denied for a customer whose role is gone
 * (until the backend gives up), and the eu sync from the us workers in a failover (outbound-us,
 * through its own endpoint: the failover design reaches eu accounts from us-east-1).
 */
function replayDeferred({ calendar }: HourContext, b: Builder, benign: BenignHour): void {
  for (const d of benign.deferred) {
    const session = d.session ?? benign.outboundSessions['us-east-1'][d.slot % 2]!;
    syncCall(b, d.t, session, d.target, { externalId: calendar.externalIdAt(d.target, d.t), denied: d.denied });
  }
}

/**
 * A new customer's onboarding: the backend opens a verifier session of the region's outbound role
 * (its own session name) and tries the customer's role while the customer's CloudFormation stack
 * is still being created (AccessDenied a few times), then succeeds; the customer joins the
 * hourly sync the next hour.
 */
function onboarding({ world, calendar, seed, hourStart }: HourContext, sink: Sink, benign: BenignHour): void {
  for (const o of calendar.verifiedIn(hourStart)) {
    const b: Builder = { rng: rngFor(seed, 'onboarding', o.account.customer), sink };
    const { rng } = b;
    const region = o.account.region;
    const task = benign.backendSessions[region][0]!;
    const { session } = assumeRole(b, {
      t: o.verifyAt,
      caller: { kind: 'session', session: task },
      region,
      sourceIp: task.sourceIp,
      userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
      role: world.outbound[region],
      sessionName: `onboarding-verify-${rng.mixedHex(8)}`,
      durationSeconds: 3600,
    });
    getCallerIdentity(b, o.verifyAt + 900 + rng.int(2000), session!);
    for (const seconds of [40, 300 + rng.int(60), 720 + rng.int(60), 1200 + rng.int(60)]) {
      syncCall(b, o.verifyAt + seconds * SEC, session!, o.account, { denied: true });
    }
    syncCall(b, o.verifyAt + (1860 + rng.int(120)) * SEC, session!, o.account);
  }
}

/** Customers onboarded during the period, in the hourly sync's last wave (and the daily scan). */
function onboardedSync({ calendar, hourStart: T, hourOfDay }: HourContext, b: Builder, benign: BenignHour): void {
  const { rng } = b;
  for (const { account } of calendar.joined(T)) {
    const workers = calendar.failover(account.region, T) ? 'us-east-1' : account.region;
    const sessions = benign.outboundSessions[workers];
    const t = T + (60 + 3 * 900) * SEC + rng.int(600_000);
    syncCall(b, t, sessions[account.customer % 2]!, account, { externalId: calendar.externalIdAt(account, t) });
    if (hourOfDay === 2) {
      for (let j = 0; j < 3; j++) {
        const at = T + 60 * SEC + rng.int(1_140_000);
        syncCall(b, at, sessions[(account.customer + j) % 2]!, account, { externalId: calendar.externalIdAt(account, at) });
      }
    }
  }
}

/** The rename deploy's hour: ECS delivers the new tasks' credentials (`integration-backend-v2`). */
function deploy({ calendar, hourStart: T }: HourContext, b: Builder, benign: BenignHour): void {
  if (T !== calendar.deployAt) return;
  for (const region of REGIONS) {
    for (const task of benign.backendSessions[region]) ecsDeliversCredentials(b, task, region);
  }
}
