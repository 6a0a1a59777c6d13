/**
 * Benign traffic of one hour: the backend's ECS tasks and their outbound sessions, the hourly
 * sync (and the daily full scan) into every customer's role, AWS service noise, and the
 * administrator's CLI work. Draws happen in a fixed order from the hour's PRNG; the order is part
 * of the output, so it must not change. What the calendar changed (a customer gone, the eu sync
 * on the us workers) is still drawn here, in its place, and made by lifecycle.ts from a stream of
 * its own; calls it cancels are drawn and never made.
 */
import { apiCall, assumeRole, DAY, ecsDeliversCredentials, drawOnly, getCallerIdentity, HOUR, SEC, syncCall, type Builder, type Caller, type HourContext, type Session } from './hour';
import { rngFor } from './random';
import { drawSessionKeyId, USER_AGENTS } from './records';
import { ACCOUNT, REGIONS, SCENARIO, type Region } from './scenario';
import type { CustomerAccount } from './world';
import { isoSeconds } from '../../lambdas/core/cloudtrail-time';

/** A scheduled sync call the calendar changed: lifecycle.ts makes it (denied, or from the us workers). */
export interface DeferredSync {
  readonly t: number;
  readonly target: CustomerAccount;
  /** The session that would have made it; null when the eu sync runs on the us workers. */
  readonly session: Session | null;
  /** The account's place in its region's sync (which worker's session makes it). */
  readonly slot: number;
  readonly denied: boolean;
}

/** State of an hour that incidents build on. */
export interface BenignHour {
  readonly backendSessions: Readonly<Record<Region, readonly Session[]>>;
  readonly outboundSessions: Readonly<Record<Region, readonly Session[]>>;
  readonly reportExporterSession: Session | null;
  readonly deferred: readonly DeferredSync[];
}

const ECS_REFRESH_HOURS = 6;

/**
 * The backend task's current session (ECS refreshes task credentials every few hours). The
 * rename deploy starts new tasks as `integration-backend-v2` on its hour (a credentials block of
 * their own until the next refresh); a dual-stack task calls STS over IPv6.
 */
function backendSession(ctx: HourContext, region: Region, task: number): Session {
  const { calendar } = ctx;
  const renamed = calendar.renamed(ctx.hourStart);
  const deployDay = renamed && ctx.day === calendar.dayOf(calendar.deployAt);
  const block = Math.floor(ctx.hourOfDay / ECS_REFRESH_HOURS);
  const deployBlock = deployDay && block === Math.floor(calendar.deploy.hour / ECS_REFRESH_HOURS);
  const taskId = rngFor(ctx.seed, 'task', region, ctx.day, task, ...(deployDay ? ['deploy'] : [])).mixedHex(32);
  const rng = rngFor(ctx.seed, 'task-credentials', region, ctx.day, task, block, ...(deployBlock ? ['deploy'] : []));
  const dayStart = ctx.hourStart - ctx.hourOfDay * HOUR;
  const blockStart = deployBlock ? calendar.deployAt : dayStart + block * ECS_REFRESH_HOURS * HOUR;
  const createdAt = blockStart + (1 + task * 9 + rng.int(8)) * SEC + rng.int(1000);
  const ipv6 = calendar.taskIpv6(region, task, ctx.day, ctx.hourStart);
  return {
    role: renamed ? ctx.world.backendV2 : ctx.world.backend,
    name: taskId,
    accessKeyId: drawSessionKeyId(rng),
    createdAt,
    sourceIp: ipv6 ?? calendar.natEip(region, task, ctx.hourStart),
    userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
    region,
    ...(ipv6 !== null ? { stsHost: `sts.${region}.api.aws` } : {}),
    lastUse: createdAt,
  };
}

/** The hour's benign traffic, into `b`; returns the sessions incidents reuse. */
export function benignHour(ctx: HourContext, b: Builder): BenignHour {
  const { rng } = b;
  const { world, calendar, hourStart: T } = ctx;
  const backendSessions = {} as Record<Region, Session[]>;
  const outboundSessions = {} as Record<Region, Session[]>;
  let reportExporterSession: Session | null = null;
  const deferred: DeferredSync[] = [];

  for (const region of REGIONS) {
    // In a failover, the region's workers are down: their calls are drawn, never made.
    const down = calendar.failover(region, T);
    const workers = down ? drawOnly(b) : b;
    const tasks = [0, 1].map((i) => backendSession(ctx, region, i));
    backendSessions[region] = tasks;
    // ECS delivers fresh task-role credentials: ecs-tasks.amazonaws.com assumes integration-backend.
    if (ctx.hourOfDay % ECS_REFRESH_HOURS === 0) {
      for (const task of tasks) ecsDeliversCredentials(b, task, region);
    }
    // Each task assumes the region's outbound role once an hour.
    const sessions: Session[] = [];
    tasks.forEach((task, i) => {
      const t = T + (25 + i * 12) * SEC + rng.int(10_000);
      const { session } = assumeRole(workers, {
        t,
        caller: { kind: 'session', session: task },
        region,
        sourceIp: task.sourceIp,
        userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
        role: world.outbound[region],
        sessionName: `backend-${rng.mixedHex(8)}`,
        durationSeconds: 3600,
      });
      sessions.push(session!);
      getCallerIdentity(workers, t + 800 + rng.int(2500), session!);
    });
    outboundSessions[region] = sessions;

    // One scheduled call: made as drawn, or drawn in its place and left to lifecycle.ts when the
    // calendar changed it (the customer's role gone since, the backend given up, a failover).
    const sync = (t: number, slot: number, target: CustomerAccount): void => {
      const session = sessions[slot % 2]!;
      const status = calendar.status(target, t);
      if (!down && status === (target.offboarded ? 'gone' : 'active')) {
        syncCall(b, t, session, target, { externalId: calendar.externalIdAt(target, t) });
        return;
      }
      syncCall(drawOnly(b), t, session, target);
      if (status !== 'dropped') deferred.push({ t, target, session: down ? null : session, slot, denied: status === 'gone' });
    };
    // Hourly sync: every customer account of the region once, in four waves over the hour
    // (the sync worker drains its queue every 15 minutes), each call jittered.
    const targets = world.byRegion[region];
    const waves = [0, 1, 2, 3].map((w) => T + (60 + w * 900) * SEC + rng.int(240_000));
    const waveSize = Math.ceil(targets.length / 4);
    targets.forEach((target, k) => {
      const w = Math.floor(k / waveSize);
      sync(waves[w]! + (k - w * waveSize) * 4 * SEC + rng.int(6000), k, target);
    });
    // Daily full scan, 02:00-02:20 UTC: every account three more times.
    if (ctx.hourOfDay === 2) {
      targets.forEach((target, k) => {
        for (let j = 0; j < 3; j++) sync(T + 60 * SEC + rng.int(1_140_000), k + j, target);
      });
    }
    reportExporterSession = serviceNoise(ctx, b, region) ?? reportExporterSession;
  }
  adminNoise(ctx, b);
  return { backendSessions, outboundSessions, reportExporterSession, deferred };
}

/** AWS service noise in one region; returns the report-exporter Lambda session if created. */
function serviceNoise(ctx: HourContext, b: Builder, region: Region): Session | null {
  const { rng } = b;
  const { world, hourStart: T, hourOfDay } = ctx;
  let reportExporter: Session | null = null;
  // Lambda cold starts: the function's execution role. report-exporter (us) runs hourly at
  // about :02 on a schedule and starts cold each time; log-shipper (eu) stays warm for hours.
  const exporter = region === 'us-east-1';
  if (exporter || hourOfDay % 4 === 2) {
    const { session } = assumeRole(b, {
      t: exporter ? T + (60 + rng.int(120)) * SEC : T + rng.int(3_500_000),
      caller: { kind: 'service', service: 'lambda.amazonaws.com' },
      region,
      sourceIp: 'lambda.amazonaws.com',
      userAgent: 'lambda.amazonaws.com',
      role: exporter ? world.reportExporter : world.logShipper,
      sessionName: exporter ? 'report-exporter' : 'log-shipper',
      sessionSourceIp: ctx.calendar.natEip(region, 1, T),
      sessionUserAgent: USER_AGENTS.jsSdkOnLambda,
    });
    if (exporter) reportExporter = session;
  }
  // AWS Config recorder.
  if (hourOfDay % 3 === 0) {
    assumeRole(b, {
      t: T + rng.int(3_500_000),
      caller: { kind: 'service', service: 'config.amazonaws.com' },
      region,
      sourceIp: 'config.amazonaws.com',
      userAgent: 'config.amazonaws.com',
      role: world.configRole,
      sessionName: 'AWSConfig-Describe',
    });
  }
  // EC2 instance profile credential refresh of the SSM-managed jump instance.
  if (hourOfDay % 6 === 3) {
    assumeRole(b, {
      t: T + rng.int(3_500_000),
      caller: { kind: 'service', service: 'ec2.amazonaws.com' },
      region,
      sourceIp: 'ec2.amazonaws.com',
      userAgent: 'ec2.amazonaws.com',
      role: world.instanceRole,
      sessionName: world.instanceIds[region],
    });
  }
  // Trusted Advisor checks: calls logged with sourceIPAddress "AWS Internal".
  if (hourOfDay % 4 === 1) {
    const t0 = T + rng.int(3_000_000);
    const ta: Session = {
      role: world.trustedAdvisor,
      name: `TrustedAdvisor_${ACCOUNT}_${rng.uuid()}`,
      accessKeyId: drawSessionKeyId(rng),
      createdAt: t0,
      sourceIp: 'AWS Internal',
      userAgent: 'AWS Internal',
      region,
      lastUse: t0,
    };
    const internal = { kind: 'session' as const, session: ta, invokedBy: 'AWS Internal' };
    apiCall(b, {
      t: t0 + rng.int(5000),
      caller: internal,
      region,
      sourceIp: 'AWS Internal',
      userAgent: 'AWS Internal',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeSecurityGroups',
      requestParameters: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} },
      host: null,
    });
    if (region === 'us-east-1') {
      apiCall(b, {
        t: t0 + 5000 + rng.int(5000),
        caller: internal,
        region,
        sourceIp: 'AWS Internal',
        userAgent: 'AWS Internal',
        eventSource: 'iam.amazonaws.com',
        eventName: 'GetAccountSummary',
        requestParameters: null,
        host: null,
      });
    }
  }
  return reportExporter;
}

/** ops-admin's CLI work on weekdays 08-18 UTC; touches no monitored role. */
function adminNoise(ctx: HourContext, b: Builder): void {
  const { rng } = b;
  const { world, hourStart: T, hourOfDay, weekday } = ctx;
  if (weekday === 0 || weekday === 6 || hourOfDay < 8 || hourOfDay >= 18) return;
  const caller: Caller = { kind: 'user', user: world.opsAdmin };
  const n = 1 + rng.int(3);
  const bucket = `vendor-reports-eu-${ACCOUNT}`;
  for (let i = 0; i < n; i++) {
    const t = T + rng.int(3_590_000);
    const ip = rng.float() < 0.25 ? SCENARIO.officeIpv6 : SCENARIO.officeIpv4;
    switch (rng.int(4)) {
      case 0:
        apiCall(b, {
          t, caller, region: 'eu-west-1', sourceIp: ip, userAgent: USER_AGENTS.cliOnMac('ec2.describe-instances'),
          eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances',
          requestParameters: { instancesSet: {}, filterSet: {} }, host: 'ec2.eu-west-1.amazonaws.com',
        });
        break;
      case 1: {
        const key = `exports/${isoSeconds(T - DAY).slice(0, 10)}/summary-${rng.int(40)}.csv`;
        apiCall(b, {
          t, caller, region: 'eu-west-1', sourceIp: ip, userAgent: USER_AGENTS.cliOnMac('s3.cp'),
          eventSource: 's3.amazonaws.com', eventName: 'GetObject',
          requestParameters: { bucketName: bucket, Host: `${bucket}.s3.eu-west-1.amazonaws.com`, key },
          host: `${bucket}.s3.eu-west-1.amazonaws.com`,
          s3: {
            bytesOut: 2000 + rng.int(60_000),
            data: true,
            resources: [
              { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
              { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
            ],
          },
        });
        break;
      }
      case 2:
        apiCall(b, {
          t, caller, region: 'us-east-1', sourceIp: ip, userAgent: USER_AGENTS.cliOnMac('s3.ls'),
          eventSource: 's3.amazonaws.com', eventName: 'ListBuckets',
          requestParameters: { Host: 's3.amazonaws.com' }, host: 's3.amazonaws.com',
          s3: { bytesOut: 1800 + rng.int(400) },
        });
        break;
      default:
        apiCall(b, {
          t, caller, region: 'eu-west-1', sourceIp: ip, userAgent: USER_AGENTS.cliOnMac('logs.describe-log-groups'),
          eventSource: 'logs.amazonaws.com', eventName: 'DescribeLogGroups',
          requestParameters: { logGroupNamePrefix: '/ecs/integration-backend' }, host: 'logs.eu-west-1.amazonaws.com',
        });
    }
  }
}

