/** Dependencies for the detect handler in tests: quiet logger, captured metrics, injected ports. */
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, SNSClient, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { MemoryPublisher } from '../../lambdas/delivery/memory-publisher';
import type { AlertPublisher } from '../../lambdas/delivery/publisher';
import { SnsPublisher, type SnsAlertRecord } from '../../lambdas/delivery/sns-publisher';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../lambdas/detect/contract';
import type { DetectDependencies } from '../../lambdas/detect/handler';
import { readConfig } from '../../cli/main';
import { loadConfig } from '../../lambdas/core/config';
import type { StatePorts as EnginePorts } from '../../lambdas/delivery/batch-runner';
import type { Clock } from '../../lambdas/engine/engine';
import { StateCache } from '../../lambdas/state/cache';
import { DynamoLedger } from '../../lambdas/state/dynamodb-ledger';
import { DynamoStore } from '../../lambdas/state/dynamodb-store';
import { CapacityMeter } from '../../lambdas/state/meter';
import { MemoryLedger } from '../../lambdas/state/memory-ledger';
import { MemoryStore } from '../../lambdas/state/memory-store';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** Metrics that keep what would have been emitted, summed by name (`name|dimension=value` for single metrics with dimensions). */
export class CapturingMetrics extends Metrics {
  readonly totals: Record<string, number> = {};

  constructor() {
    super({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  }

  /** A single metric (its own dimensions, emitted at once) counted into {@link totals}. */
  override singleMetric(): Metrics {
    const dimensions: string[] = [];
    const totals = this.totals;
    return {
      addDimension(name: string, value: string) {
        dimensions.push(`${name}=${value}`);
      },
      addMetric(name: string, _unit: unknown, value: number) {
        const key = dimensions.length > 0 ? `${name}|${dimensions.join(',')}` : name;
        totals[key] = (totals[key] ?? 0) + value;
        // As Powertools does: a single metric is flushed at each addMetric, and its dimensions
        // cleared, so a second metric added to it would go out without them.
        dimensions.length = 0;
      },
    } as unknown as Metrics;
  }

  override publishStoredMetrics(): this {
    const emf = this.serializeMetrics() as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(emf)) {
      if (typeof value === 'number') this.totals[name] = (this.totals[name] ?? 0) + value;
    }
    this.clearMetrics();
    return this;
  }
}

/** A silent logger that keeps its structured lines. */
export class CapturingLogger extends Logger {
  readonly lines: { level: string; message: string; extra: unknown[] }[] = [];

  constructor() {
    super({ serviceName: METRICS_SERVICE, logLevel: 'SILENT' });
  }

  override info(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'info', message, extra });
  }

  override warn(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'warn', message, extra });
  }

  override error(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** The examples' configuration, read as the demo reads it: with the customer registry it names. */
export function examplesConfig(): ReturnType<typeof loadConfig> {
  return readConfig(join(__dirname, '..', '..', 'examples', 'config.json'));
}

/** The wall clock the handler tests run at: the day after the examples. */
export const TEST_NOW = Date.parse('2026-10-08T00:00:00Z');

/** The deployment the handler tests run in: the examples' bastion account, home in eu-west-1 with a forwarder in us-east-1. */
export const TEST_EVENT_ORIGIN: DetectDependencies['eventOrigin'] = { account: '210987654321', regions: ['eu-west-1', 'us-east-1'] };

/** Handler dependencies with memory ports unless given. */
export function testDependencies(
  o: { ports?: EnginePorts; publisher?: AlertPublisher; config?: DetectDependencies['config']; clock?: Clock; consumption?: DetectDependencies['consumption']; eventOrigin?: DetectDependencies['eventOrigin'] } = {},
): DetectDependencies & {
  logger: CapturingLogger;
  metrics: CapturingMetrics;
} {
  return {
    config: o.config ?? examplesConfig(),
    eventOrigin: o.eventOrigin ?? TEST_EVENT_ORIGIN,
    ports: o.ports ?? { state: new MemoryStore(), ledger: new MemoryLedger() },
    publisher: o.publisher ?? new MemoryPublisher(),
    logger: new CapturingLogger(),
    metrics: new CapturingMetrics(),
    clock: o.clock ?? { now: () => TEST_NOW },
    ...(o.consumption ? { consumption: o.consumption } : {}),
  };
}

/** A clock the test moves. */
export class TestClock implements Clock {
  constructor(public ms: number = TEST_NOW) {}
  now(): number {
    return this.ms;
  }
}

/** The topic the fake SNS answers for. */
export const TEST_TOPIC_ARN = 'arn:aws:sns:eu-west-1:210987654321:assumerole-watch-alerts';

/**
 * A fault the next PublishBatch call meets (`FakeSns.faults`): a 5xx, a throttle, a timeout before
 * SNS took the messages or after it did (the caller cannot tell them apart), every entry refused,
 * or a call that never returns (the Lambda times out while publishing).
 */
export type SnsFault = 'error' | 'throttle' | 'timeout' | 'timeout-after-accept' | 'entries-failed' | 'hang';

/**
 * SNS faked at the SDK boundary: a real `SNSClient` whose `PublishBatch` calls are answered by
 * aws-sdk-client-mock. Keeps every accepted message; `failCalls` makes the next calls throw.
 */
export class FakeSns {
  readonly client = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  /** The `default` (JSON) body of every message SNS accepted, in order. */
  readonly messages: SnsAlertRecord[] = [];
  /** Every PublishBatch call's input. */
  readonly calls: PublishBatchCommandInput[] = [];
  /** Whole calls still to fail (as a 5xx or throttle would). */
  failCalls = 0;
  /** Faults for the next calls, one each, in order (once `failCalls` are used up). */
  readonly faults: SnsFault[] = [];
  /** Alert IDs SNS accepted in calls that then timed out (`timeout-after-accept`): the caller saw a failure. */
  readonly acceptedButTimedOut: string[] = [];
  /** Called when a call meets `hang`. */
  onHang: () => void = () => undefined;

  constructor() {
    mockClient(this.client)
      .on(PublishBatchCommand)
      .callsFake(async (input: PublishBatchCommandInput) => {
        this.calls.push(input);
        if (this.failCalls > 0) {
          this.failCalls -= 1;
          throw Object.assign(new Error('Service Unavailable'), { name: 'InternalErrorException', $fault: 'server' });
        }
        const fault = this.faults.shift();
        const entries = input.PublishBatchRequestEntries ?? [];
        if (fault === 'error') throw Object.assign(new Error('Internal error'), { name: 'InternalErrorException', $fault: 'server' });
        if (fault === 'throttle') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException', $fault: 'client' });
        if (fault === 'timeout') throw Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
        if (fault === 'hang') {
          this.onHang();
          return new Promise<never>(() => undefined);
        }
        if (fault === 'entries-failed') return { Successful: [], Failed: entries.map((e) => ({ Id: e.Id, Code: 'InternalError', Message: 'try again', SenderFault: false })) };
        for (const e of entries) this.messages.push(JSON.parse((JSON.parse(e.Message!) as { default: string }).default) as SnsAlertRecord);
        if (fault === 'timeout-after-accept') {
          this.acceptedButTimedOut.push(...this.messages.slice(this.messages.length - entries.length).map((m) => m.alertId));
          throw Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
        }
        return { Successful: entries.map((e, i) => ({ Id: e.Id, MessageId: `message-${this.messages.length}-${i}` })), Failed: [] };
      });
  }

  publisher(): SnsPublisher {
    return new SnsPublisher(this.client, TEST_TOPIC_ARN);
  }

  /** Alert IDs of the accepted messages, in order. */
  alertIds(): string[] {
    return this.messages.map((m) => m.alertId);
  }
}

/**
 * The dependencies one Lambda instance builds at its cold start, on a DynamoDB table and a
 * fake SNS: its own capacity meter and state cache.
 */
export function dynamoDependencies(client: DynamoDBClient, table: string, sns: FakeSns, clock = new TestClock()): ReturnType<typeof testDependencies> & {
  ports: { state: DynamoStore; ledger: DynamoLedger; cache: StateCache };
  clock: TestClock;
} {
  const meter = new CapacityMeter();
  const ports = { state: new DynamoStore(client, table, { meter }), ledger: new DynamoLedger(client, table, { meter }), cache: new StateCache() };
  return { ...testDependencies({ ports, publisher: sns.publisher(), clock, consumption: () => meter.reading() }), ports, clock };
}
