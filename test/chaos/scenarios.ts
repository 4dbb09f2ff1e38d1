// The fault scenarios, each one body sized by its argument: the e2e tier runs them small, `npm run chaos` full size.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { expectEachEffectOnce } from './books-check.js';
import { ChaosCluster } from './chaos-cluster.js';

/** What a scenario measured, for the test's output and docs/scaling.md. */
export type Measured = Record<string, number | string>;

/** How the NATS-kill scenario is sized. */
export interface NatsKillSize {
  /** Events published in all (split over the workers). */
  readonly events: number;
  /** Times the NATS server is killed. */
  readonly kills: number;
  /** How long the whole run may take. */
  readonly timeoutMs: number;
}

/**
 * The NATS server is killed with SIGKILL `kills` times while three workers publish and handle `events`: each kill
 * comes once another share of the events has committed, the server restarts on its port and store once the workers'
 * readiness says NATS is down. Delivered equals published, each effect once, each handler called once, order held.
 */
export async function natsKilled(size: NatsKillSize): Promise<Measured> {
  const started = Date.now();
  const cluster = await ChaosCluster.start({ workers: 3, perWorker: Math.ceil(size.events / 3) });
  const resumed: number[] = [];
  try {
    for (let kill = 1; kill <= size.kills; kill++) {
      const at = Math.floor((cluster.total * kill) / (size.kills + 1));
      await cluster.until(`${at} events committed before kill ${kill}`, () => cluster.committed >= at, size.timeoutMs);
      await cluster.nats.kill();
      await cluster.until(
        'a worker reporting NATS down',
        async () =>
          (await Promise.all(cluster.workers.map((w) => w.readiness()))).some((r) => r.checks.nats === 'down'),
        30_000,
      );
      await cluster.nats.restart();
      const restartedAt = Date.now();
      // A group in hand at the kill may still commit meanwhile; what counts is the first commit after the restart.
      const after = () => cluster.commitTimes.find((at) => at >= restartedAt);
      await cluster.until('a commit after the restart', () => after() !== undefined, 30_000);
      resumed.push((after() ?? Infinity) - restartedAt);
    }
    await cluster.untilAllApplied(size.timeoutMs);
    await cluster.until(
      'every worker ready again',
      async () => (await Promise.all(cluster.workers.map((w) => w.readiness()))).every((r) => r.status === 200),
      30_000,
    );
    const books = await cluster.books();
    const calls = expectEachEffectOnce(cluster, books);
    expect(books.deadLetters).toEqual([]);
    // The broker's faults never make a handler run twice: a redelivery of a committed event meets the inbox first.
    expect([...calls.values()].filter((count) => count > 1)).toEqual([]);
    return {
      events: cluster.total,
      kills: size.kills,
      resumedMs: resumed.join(','),
      handlerCalls: cluster.calls.length,
      seconds: since(started),
    };
  } finally {
    await cluster.close();
  }
}

/** How a network-cut scenario is sized. */
export interface CutSize {
  readonly events: number;
  /** How long the network stays cut. */
  readonly cutMs: number;
  /** Entries a second each of the three workers publishes: slow enough that publishing outlasts the cut. */
  readonly rate: number;
  readonly timeoutMs: number;
}

/** The longest time from the end of a cut to the first commit after it that the issue allows. */
export const RESUME_BOUND_MS = 5000;

/**
 * The network between the workers and NATS (or PostgreSQL) is cut for `cutMs` once a share of the events committed,
 * while the workers go on publishing: readiness names the server that is down during the cut and recovers by itself,
 * delivery resumes within RESUME_BOUND_MS of the cut ending, and nothing is lost or applied twice.
 */
export async function networkCut(target: 'nats' | 'postgres', size: CutSize): Promise<Measured> {
  const started = Date.now();
  const cluster = await ChaosCluster.start({
    workers: 3,
    perWorker: Math.ceil(size.events / 3),
    rate: size.rate,
    proxied: [target],
  });
  const proxy = target === 'nats' ? cluster.natsProxy : cluster.postgresProxy;
  const check = target === 'nats' ? 'nats' : 'database';
  if (proxy === undefined) throw new Error(`no proxy in front of ${target}`);
  try {
    const at = Math.floor(cluster.total * 0.15);
    await cluster.until(`${at} events committed before the cut`, () => cluster.committed >= at, size.timeoutMs);
    // Publishing must go on past the cut, or there is nothing to resume.
    expect(cluster.publishedAll()).toBe(false);
    proxy.cut();
    const cutAt = Date.now();
    await cluster.until(
      `every worker's readiness naming ${check} down`,
      async () =>
        (await Promise.all(cluster.workers.map((w) => w.readiness()))).every(
          (r) => r.status === 503 && r.checks[check] === 'down' && Object.values(r.checks).includes('up'),
        ),
      size.cutMs,
    );
    const downAfterMs = Date.now() - cutAt;
    await sleep(cutAt + size.cutMs - Date.now());
    const committedAtHeal = cluster.committed;
    const commitsAtHeal = cluster.commitTimes.length;
    proxy.heal();
    const healedAt = Date.now();
    expect(cluster.publishedAll() && committedAtHeal === cluster.total).toBe(false);
    await cluster.until('a commit after the cut ended', () => cluster.commitTimes.length > commitsAtHeal, 30_000);
    await cluster.until(
      'every worker ready again',
      async () => (await Promise.all(cluster.workers.map((w) => w.readiness()))).every((r) => r.status === 200),
      30_000,
    );
    const readyAfterMs = Date.now() - healedAt;
    await cluster.untilAllApplied(size.timeoutMs);
    const books = await cluster.books();
    expectEachEffectOnce(cluster, books);
    expect(books.deadLetters).toEqual([]);
    // Resumed = the first commit of an event published after the cut began: one that had to get through once the
    // network was back (what was in hand before the cut may still commit meanwhile, and proves nothing).
    const resumedAt = Math.min(
      ...books.log.filter((e) => e.publishedAt >= cutAt).map((e) => cluster.commits.get(e.id)?.at ?? Infinity),
    );
    const resumeMs = resumedAt - healedAt;
    expect(resumeMs).toBeLessThanOrEqual(RESUME_BOUND_MS);
    return {
      target,
      events: cluster.total,
      cutMs: size.cutMs,
      downAfterMs,
      resumeMs,
      readyAfterMs,
      handlerCalls: cluster.calls.length,
      seconds: since(started),
    };
  } finally {
    await cluster.close();
  }
}

/** How the failing-handler scenario is sized. */
export interface FailingSize {
  readonly events: number;
  /** Every this many handler calls of a worker one throws, and so do its event's retries. */
  readonly failEvery: number;
  readonly timeoutMs: number;
}

/**
 * Every `failEvery`-th handler call of each worker throws, and so does every later call of that event: those events
 * dead-letter after their retries, everything else commits once; a worker started afterwards without failures re-drives
 * every dead letter to success, and then each event has exactly one effect.
 */
export async function handlersFailing(size: FailingSize): Promise<Measured> {
  const started = Date.now();
  const cluster = await ChaosCluster.start({
    workers: 3,
    perWorker: Math.ceil(size.events / 3),
    failEvery: size.failEvery,
  });
  try {
    await cluster.until(
      'every event committed or dead-lettered',
      async () =>
        cluster.publishedAll() && (await cluster.appliedCount()) + (await cluster.deadLetterCount()) >= cluster.total,
      size.timeoutMs,
    );
    const parked = (await cluster.books()).deadLetters;
    // At least one throwing call in every failEvery: the rest of the calls commit.
    expect(parked.length).toBeGreaterThanOrEqual(Math.floor(cluster.total / size.failEvery / 2));
    expect(new Set(parked.map((letter) => letter.eventId)).size).toBe(parked.length);
    for (const letter of parked) expect(cluster.commits.has(letter.eventId)).toBe(false);
    const attempts = new Set(parked.map((letter) => letter.attempts));
    await Promise.all(cluster.workers.map((worker) => worker.stop()));

    const redriver = cluster.addWorker({ failEvery: 0, redrive: true });
    expect(await redriver.redriven).toBe(parked.length);
    const books = await cluster.books();
    expect(books.deadLetters).toEqual([]);
    const calls = expectEachEffectOnce(cluster, books, new Set(parked.map((letter) => letter.eventId)));
    // A dead-lettered event was called once per attempt, then once more when re-driven; every other event once.
    const maxAttempts = Math.max(...attempts);
    for (const letter of parked) expect(calls.get(letter.eventId)).toBe(maxAttempts + 1);
    expect(cluster.calls.length).toBe(cluster.total + parked.length * maxAttempts);
    return {
      events: cluster.total,
      deadLettered: parked.length,
      attempts: [...attempts].join(','),
      handlerCalls: cluster.calls.length,
      seconds: since(started),
    };
  } finally {
    await cluster.close();
  }
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}
