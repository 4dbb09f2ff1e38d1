import { expect } from 'vitest';
import type { Books, ChaosCluster } from './chaos-cluster.js';

/**
 * Checks what every fault scenario promises: the log holds every published entry once; each of them has exactly
 * one effect row and at most one reported commit; no handler was called for an event after its effect committed; per
 * account the effects committed in log order (events in `outOfOrder`, re-driven later, aside). Returns the handler
 * calls per event.
 */
export function expectEachEffectOnce(
  cluster: ChaosCluster,
  books: Books,
  outOfOrder: ReadonlySet<string> = new Set(),
): Map<string, number> {
  expect(books.log).toHaveLength(cluster.total);
  const seqOf = new Map(books.log.map((event) => [event.id, event.seq]));
  expect(seqOf.size).toBe(cluster.total);

  const effectsOf = new Map<string, number>();
  for (const effect of books.effects) effectsOf.set(effect.eventId, (effectsOf.get(effect.eventId) ?? 0) + 1);
  const twice = [...effectsOf].filter(([, count]) => count > 1);
  expect(twice, 'events with more than one effect').toEqual([]);
  const missing = books.log.filter((event) => !effectsOf.has(event.id)).map((event) => event.id);
  expect(missing, 'events without an effect').toEqual([]);
  expect(books.effects).toHaveLength(cluster.total);

  const reportedTwice = [...cluster.commits].filter(([, commit]) => commit.count > 1).map(([id]) => id);
  expect(reportedTwice, 'events whose effect was reported committed twice').toEqual([]);
  // At most: a commit whose answer a cut network lost is not reported, though its effect row is there (checked above).
  expect(cluster.committed).toBeLessThanOrEqual(cluster.total);

  const calls = new Map<string, number>();
  const afterCommit: string[] = [];
  for (const call of cluster.calls) {
    calls.set(call.eventId, (calls.get(call.eventId) ?? 0) + 1);
    const commit = cluster.commits.get(call.eventId);
    if (commit !== undefined && call.heard > commit.heard) afterCommit.push(call.eventId);
  }
  expect(afterCommit, 'handler calls after the event committed').toEqual([]);
  expect(books.log.filter((event) => !calls.has(event.id))).toEqual([]);

  const lastSeq = new Map<string, number>();
  const backwards: string[] = [];
  for (const effect of books.effects) {
    if (outOfOrder.has(effect.eventId)) continue;
    const seq = seqOf.get(effect.eventId) ?? 0;
    if (seq <= (lastSeq.get(effect.account) ?? 0)) backwards.push(`${effect.account}: ${effect.eventId}`);
    lastSeq.set(effect.account, seq);
  }
  expect(backwards, 'effects committed before an earlier event of their account').toEqual([]);
  return calls;
}
