/**
 * Mutation fuzzing, the seeded share of `scripts/fuzz.ts` (which runs 100,000): mutated fixture
 * records through the parser, the engine beside known-good records, the alert renderers and the
 * Lambda handler; then the inputs the fuzzing found that used to throw, pinned as examples.
 */
import fc from 'fast-check';
import { handleBatch } from '../lambdas/detect/handler';
import { MemoryPublisher } from '../lambdas/delivery/memory-publisher';
import { parseDocument, parseRecord, parseText } from '../lambdas/core/parse';
import { checkMutation, fuzzWorld, mutationArb, mutationText, type FuzzWorld } from './support/fuzz';
import { testDependencies } from './support/handler';
import { eventBridgeEnvelope, sqsMessage } from './support/sqs';
import type { SQSEvent } from 'aws-lambda';

const SEED = 6;

let world: FuzzWorld;
beforeAll(async () => {
  world = await fuzzWorld();
});

describe('mutated CloudTrail records', () => {
  it('never throw, are rejected with a reason, and leave the known-good records\' results unchanged', async () => {
    // Given the known-good records alone give findings and alerts
    expect(world.baseline.result.findings.length).toBeGreaterThan(3);
    expect(world.baseline.result.alerts.length).toBeGreaterThan(2);
    // When 1,500 mutants go through parse, processBatch beside the goods, and every renderer
    // Then checkMutation finds no exception and no broken property
    await fc.assert(
      fc.asyncProperty(mutationArb, async (m) => {
        await checkMutation(m, world);
      }),
      { numRuns: 1_500, seed: SEED },
    );
  }, 60_000);

  it('fail only their own SQS message; the good messages of the batch alert as without them', async () => {
    // Given the alerts the handler publishes for the known-good records alone, one message each
    const goodMessages = world.goods.map((g, i) => sqsMessage(JSON.stringify(eventBridgeEnvelope(g)), `good-${i}`));
    const alone = new MemoryPublisher();
    const { response: aloneResponse } = await handleBatch({ Records: goodMessages }, testDependencies({ publisher: alone, config: world.config }), 'alone');
    expect(aloneResponse.batchItemFailures).toEqual([]);
    const expected = alone.alerts.map((a) => a.alertId).sort();
    expect(expected.length).toBeGreaterThan(2);
    const goodIds = world.goodIds;
    await fc.assert(
      fc.asyncProperty(mutationArb, async (m) => {
        // When a mutated message joins the batch
        const event: SQSEvent = { Records: [...goodMessages.slice(0, 3), sqsMessage(mutationText(m, world), 'mutant'), ...goodMessages.slice(3)] };
        const publisher = new MemoryPublisher();
        const { response } = await handleBatch(event, testDependencies({ publisher, config: world.config }), 'fuzz');
        // Then only the mutant may be retried, and the goods' alerts are the same
        expect(response.batchItemFailures.filter((f) => f.itemIdentifier !== 'mutant')).toEqual([]);
        const published = publisher.alerts.filter((a) => a.evidence.eventIds.some((id) => goodIds.has(id))).map((a) => a.alertId).sort();
        expect(published).toEqual(expected);
      }),
      { numRuns: 300, seed: SEED },
    );
  }, 60_000);
});

describe('inputs the fuzzing found', () => {
  it('rejects arrays nested 100,000 deep instead of overflowing the stack', () => {
    // Given a JSON document that is nothing but nested arrays (JSON.parse takes it; unwrapping recursed)
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    // When parsed
    const results = parseText(text, 'deep.json');
    // Then one rejection says why
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('arrays nested more than 8 deep') });
  });

  it('rejects an eventVersion 1.0 record holding a nesting bomb instead of overflowing the stack', () => {
    // Given a 1.0 record without eventID (its ID is derived from its JSON) that nests 100,000 objects
    let bomb: unknown = {};
    for (let i = 0; i < 100_000; i++) bomb = { a: bomb };
    const record = { eventVersion: '1.0', eventTime: '2024-08-01T10:00:00Z', eventName: 'AssumeRole', requestParameters: bomb };
    // When parsed
    const result = parseRecord(record);
    // Then it is rejected with the reason
    expect(result).toMatchObject({ kind: 'rejected', reason: 'eventID: missing, and the eventVersion 1.0 record is nested too deeply to derive one' });
  });

  it('rejects only the bad element of an array of events, not its neighbours', () => {
    // Given an array of EventBridge events where the second one's detail is not a record
    const good = world.goods[1]!;
    const doc = [eventBridgeEnvelope(good), { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', detail: 'truncated' }, eventBridgeEnvelope(world.goods[2]!)];
    // When parsed
    const results = parseDocument(doc, { file: 'events.json', line: 1 });
    // Then the two good events parse and the bad one is rejected saying where
    expect(results.map((r) => r.kind)).toEqual(['assume-role', 'rejected', 'assume-role']);
    expect(results[1]).toMatchObject({ reason: '[1]: detail: expected a CloudTrail record, got a string' });
  });
});
