/**
 * The warm-instance state cache: what it keeps, when it answers, and that serving from it
 * never changes an alert, even when several instances with their own caches share the state.
 */
import { join } from 'node:path';
import { replay } from '../cli/replay';
import type { Alert } from '../lambdas/engine/alerts';
import { processBatch } from './support/engine';
import type { ReadKey } from '../lambdas/core/state';
import { StateCache } from '../lambdas/state/cache';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { parseText } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { examplesConfig } from './support/handler';
import { batches, exampleRecords } from './support/sqs';

const NOW = Date.parse('2026-10-07T12:00:00Z');
const key = { pk: 'session#arn#arn:aws:sts::210987654321:assumed-role/outbound-eu/backend-1', sk: 'locations' };
const has = (location: string): ReadKey => ({ ...key, enough: (item) => Array.isArray(item.locations) && item.locations.includes(location) });
const ttl = NOW / 1000 + 3_600;

describe('StateCache', () => {
  it('answers only when every reader finds the cached item enough', () => {
    // Given an item read with one location
    const cache = new StateCache();
    cache.remember(key, { locations: ['group:nat-eu'], expiresAt: ttl }, NOW);
    // When asked for a call from that location, and for one from elsewhere
    // Then the first is answered from memory, the second must read the table
    expect(cache.lookup(key, [has('group:nat-eu')], NOW + 1_000)).toEqual({ locations: ['group:nat-eu'], expiresAt: ttl });
    expect(cache.lookup(key, [has('group:nat-eu'), has('203.0.113.0/24')], NOW + 1_000)).toBeUndefined();
    expect(cache.lookup(key, [{ ...key }], NOW + 1_000)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('keeps its own set additions and maxima, and forgets an item on any other write', () => {
    // Given two cached items
    const cache = new StateCache();
    const peak = { pk: 'volume#role', sk: 'peak#20733' };
    const meta = { pk: 'role#r', sk: 'meta' };
    cache.remember(key, { locations: ['a'], expiresAt: ttl }, NOW);
    cache.remember(meta, { firstSeenAt: NOW, expiresAt: ttl }, NOW);
    // When this instance commits an addition, a maximum on an item it never read, and a set-if-absent
    cache.committed({ key, addToSet: { locations: ['b'] }, expiresAt: ttl + 10 }, NOW);
    cache.committed({ key: peak, max: { peak: 7 }, expiresAt: ttl }, NOW);
    cache.committed({ key: meta, setIfAbsent: { firstSeenAt: NOW - 1 }, expiresAt: ttl }, NOW);
    // Then the cache holds lower bounds of what the table now holds, and dropped the rest
    const always = (): boolean => true;
    expect(cache.lookup(key, [has('b')], NOW)).toEqual({ locations: ['a', 'b'], expiresAt: ttl + 10 });
    expect(cache.lookup(peak, [{ ...peak, enough: always }], NOW)).toEqual({ peak: 7, expiresAt: ttl });
    expect(cache.lookup(meta, [{ ...meta, enough: always }], NOW)).toBeUndefined();
  });

  it('forgets items past their TTL or its age limit, and the least recently used beyond its size', () => {
    const cache = new StateCache({ maxItems: 2, maxAgeMs: 60_000 });
    const always = (k: { pk: string; sk: string }): ReadKey => ({ ...k, enough: () => true });
    const a = { pk: 'a', sk: 's' };
    const b = { pk: 'b', sk: 's' };
    const c = { pk: 'c', sk: 's' };
    cache.remember(a, { v: 'a', expiresAt: NOW / 1000 + 10 }, NOW);
    cache.remember(b, { v: 'b', expiresAt: ttl }, NOW);
    // Past a's TTL
    expect(cache.lookup(a, [always(a)], NOW + 11_000)).toBeUndefined();
    // b used, then c added: a (gone) and nothing else evicted; then d pushes out the least recent
    cache.remember(c, { v: 'c', expiresAt: ttl }, NOW);
    expect(cache.lookup(b, [always(b)], NOW)).toBeDefined();
    cache.remember(a, { v: 'a2', expiresAt: ttl }, NOW);
    expect(cache.lookup(c, [always(c)], NOW)).toBeUndefined();
    expect(cache.lookup(b, [always(b)], NOW)).toBeDefined();
    // Past the age limit
    expect(cache.lookup(b, [always(b)], NOW + 60_000)).toBeUndefined();
  });
});

describe('the engine with state caches', () => {
  const records = exampleRecords();
  const config = examplesConfig();
  const calls: ParsedCall[] = records.flatMap((r) => parseText(JSON.stringify(r), 'examples').filter((p): p is ParsedCall => p.kind !== 'rejected' && p.kind !== 'ignored'));

  it('raises the same alerts when three instances, each with its own cache, take turns on one store', async () => {
    // Given the examples' alerts without any cache
    const expected: Alert[] = [];
    await replay({ paths: [join(__dirname, '..', 'examples', 'AWSLogs')], config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, batchSize: 10, onAlert: (a) => expected.push(a) });
    // When the same calls go in batches of ten to three instances in turn, sharing the state
    const state = new MemoryStore();
    const ledger = new MemoryLedger();
    const caches = [new StateCache(), new StateCache(), new StateCache()];
    const alerts: Alert[] = [];
    let loads = 0;
    const load = state.load.bind(state);
    state.load = async (keys, now) => {
      loads += keys.length;
      return load(keys, now);
    };
    for (const [i, batch] of batches(calls, 10).entries()) {
      const now = batch[batch.length - 1]!.eventTime;
      const result = await processBatch(batch, { state, ledger, cache: caches[i % 3]! }, config, { now: () => now });
      alerts.push(...result.alerts);
    }
    // Then the alerts are the same, and most reads were answered from memory
    expect(alerts.map((a) => a.alertId).sort()).toEqual(expected.map((a) => a.alertId).sort());
    const hits = caches.reduce((n, c) => n + c.stats().hits, 0);
    expect(hits).toBeGreaterThan(loads);
  });
});
