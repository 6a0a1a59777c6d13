/** Builds the SQS events the detect Lambda receives: CloudTrail records in EventBridge envelopes. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { isRegionName } from '../../lambdas/core/config-values';

/** A raw CloudTrail record. */
export type RawRecord = Record<string, unknown>;

/**
 * The EventBridge event CloudTrail's integration puts on the bus for a record: in the account
 * that received the record, in the region it was recorded in. A record whose `awsRegion` is no
 * region name (hostile tests put attacker text there; AWS never would) arrives in the home
 * region, as one from an account that is not an ID arrives in the bastion's.
 */
export function eventBridgeEnvelope(record: RawRecord): Record<string, unknown> {
  const source = typeof record.eventSource === 'string' ? `aws.${record.eventSource.split('.')[0]}` : 'aws.sts';
  const account = typeof record.recipientAccountId === 'string' && /^\d{12}$/.test(record.recipientAccountId) ? record.recipientAccountId : '210987654321';
  return {
    version: '0',
    id: createHash('sha256').update(String(record.eventID)).digest('hex').slice(0, 36),
    'detail-type': 'AWS API Call via CloudTrail',
    source,
    account,
    time: record.eventTime,
    region: typeof record.awsRegion === 'string' && isRegionName(record.awsRegion) ? record.awsRegion : 'eu-west-1',
    resources: [],
    detail: record,
  };
}

/** One SQS message; the message ID is stable per record and copy, as a redelivery keeps it. */
export function sqsMessage(body: string, messageId: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}-${receiveCount}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1700000000000',
      SenderId: 'AIDAEVENTBRIDGE',
      ApproximateFirstReceiveTimestamp: '1700000000000',
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:210987654321:assumerole-watch-events',
    awsRegion: 'eu-west-1',
  };
}

/** The message ID a record gets (the `copy` tells EventBridge's duplicate deliveries apart). */
export function messageIdOf(record: RawRecord, copy = 0): string {
  return createHash('sha256').update(`${String(record.eventID)}#${copy}`).digest('hex').slice(0, 32);
}

/** An SQS event holding these records, one message each. */
export function sqsEvent(records: readonly RawRecord[], receiveCount = 1, copy = 0): SQSEvent {
  return { Records: records.map((r) => sqsMessage(JSON.stringify(eventBridgeEnvelope(r)), messageIdOf(r, copy), receiveCount)) };
}

/** Records in consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every record of the bundled examples, in event-time order (as EventBridge roughly delivers them). */
export function exampleRecords(): RawRecord[] {
  const root = join(__dirname, '..', '..', 'examples', 'AWSLogs');
  const walk = (dir: string): string[] => readdirSync(dir).sort().flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
  const records = walk(root)
    .filter((f) => f.endsWith('.json.gz'))
    .flatMap((f) => (JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as { Records: RawRecord[] }).Records);
  return records.sort((a, b) => Date.parse(String(a.eventTime)) - Date.parse(String(b.eventTime)) || String(a.eventID).localeCompare(String(b.eventID)));
}
