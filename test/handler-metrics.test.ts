/**
 * The metrics the detect handler emits, read as Powertools really writes them (EMF lines on
 * stdout), not through the stand-in the other handler tests count with: CloudWatch files a metric
 * under its exact dimension set, so the alarms and the operations dashboard find a metric only
 * when the set is the one they ask for.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BATCH_METRICS, DESTINATION_DIMENSION, DESTINATION_REFUSALS_METRIC, DETECTOR_DIMENSION, DETECTOR_METRICS, METRICS_NAMESPACE, METRICS_SERVICE } from '../lambdas/detect/contract';
import { handleBatch } from '../lambdas/detect/handler';
import type { AlertPublisher } from '../lambdas/delivery/publisher';
import { testDependencies } from './support/handler';
import { exampleRecords, sqsEvent, type RawRecord } from './support/sqs';

/** One EMF line: the metrics it declares, with their dimension sets, and the values. */
interface EmfLine {
  readonly _aws: { readonly CloudWatchMetrics: readonly { readonly Namespace: string; readonly Dimensions: readonly (readonly string[])[]; readonly Metrics: readonly { readonly Name: string }[] }[] };
  readonly [field: string]: unknown;
}

/** A metric as CloudWatch files it: name and dimensions (`name|dim=value,…`), with its value. */
interface Datum {
  readonly key: string;
  readonly value: unknown;
}

const records = exampleRecords();
const labels = require('../examples/labels.json') as { id: string; detector: string; eventIds: string[] }[];

/** The records around one labelled incident: its session's earlier calls and the incident. */
function incident(id: string): RawRecord[] {
  const label = labels.find((l) => l.id === id)!;
  const last = Math.max(...records.filter((r) => label.eventIds.includes(String(r.eventID))).map((r) => Date.parse(String(r.eventTime))));
  return records.filter((r) => Date.parse(String(r.eventTime)) <= last && Date.parse(String(r.eventTime)) > last - 3 * 3_600_000);
}

/** Runs one batch with real Powertools metrics and returns every metric it emitted. */
async function emittedBy(batch: RawRecord[], publisher?: AlertPublisher): Promise<Datum[]> {
  const saved = { disabled: process.env.POWERTOOLS_METRICS_DISABLED, dev: process.env.POWERTOOLS_DEV };
  // test/support/handler.ts turns metrics off for the other tests; each Metrics reads this when built.
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const deps = { ...testDependencies(publisher ? { publisher } : {}), metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }) };
    await handleBatch(sqsEvent(batch), deps, 'test');
  } finally {
    write.mockRestore();
    if (saved.disabled !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = saved.disabled;
    if (saved.dev !== undefined) process.env.POWERTOOLS_DEV = saved.dev;
  }
  const lines = written.join('').split('\n').filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as EmfLine);
  return lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap((directive) => {
      expect(directive.Namespace).toBe(METRICS_NAMESPACE);
      return directive.Dimensions.flatMap((set) =>
        directive.Metrics.map((m) => ({ key: `${m.Name}|${set.map((d) => `${d}=${String(line[d])}`).join(',')}`, value: line[m.Name] })),
      );
    }),
  );
}

const service = `service=${METRICS_SERVICE}`;

describe('the metrics the detect handler emits', () => {
  it('count alerts and findings per detector under the detector dimension', async () => {
    // Given the batch of a labelled incident of human-principal
    // When the handler runs it with real Powertools metrics
    const emitted = await emittedBy(incident('01-human-principal'));
    // Then each per-detector counter carries the detector, none goes out with service alone
    const keys = emitted.map((d) => d.key);
    for (const name of Object.values(DETECTOR_METRICS)) {
      expect(keys).toContain(`${name}|${service},${DETECTOR_DIMENSION}=human-principal`);
      expect(keys).not.toContain(`${name}|${service}`);
    }
    expect(emitted.find((d) => d.key === `${DETECTOR_METRICS.alerts}|${service},${DETECTOR_DIMENSION}=human-principal`)!.value).toBe(1);
  });

  it('count the batch under the service dimension alone', async () => {
    // Given the same batch; when the handler runs it
    const keys = (await emittedBy(incident('01-human-principal'))).map((d) => d.key);
    // Then every per-batch counter is there with service alone (BatchFailures only when a batch fails)
    for (const name of Object.values(BATCH_METRICS).filter((n) => n !== BATCH_METRICS.batchFailures)) expect(keys).toContain(`${name}|${service}`);
  });

  it('count refusals per destination under the destination dimension', async () => {
    // Given a publisher that refuses every alert, as one destination named sns
    const refusing: AlertPublisher = {
      publish: async (alerts) => ({ accepted: [], failed: alerts.map((a) => ({ alertId: a.alertId, code: 'AuthorizationError', message: 'denied', senderFault: false, destinations: ['sns'] })) }),
    };
    // When the handler runs the incident's batch
    const emitted = await emittedBy(incident('01-human-principal'), refusing);
    // Then the refusal is counted under that destination
    expect(emitted.find((d) => d.key === `${DESTINATION_REFUSALS_METRIC}|${service},${DESTINATION_DIMENSION}=sns`)?.value).toBe(1);
  });
});
