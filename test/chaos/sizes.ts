import type { CutSize, FailingSize, NatsKillSize } from './scenarios.js';

/**
 * The sizes of the fault scenarios: `small` for the e2e tier of `npm test`, `full` for `npm run chaos` (issue 14). The
 * small PostgreSQL cut still outlasts the subscription lease (5 s), so the e2e tier sees a lease run out and be taken.
 */
export const SIZES = {
  small: {
    natsKilled: { events: 2100, kills: 1, timeoutMs: 60_000 },
    natsCut: { events: 1500, cutMs: 4000, rate: 100, timeoutMs: 60_000 },
    postgresCut: { events: 1500, cutMs: 6000, rate: 100, timeoutMs: 60_000 },
    handlersFailing: { events: 2100, failEvery: 100, timeoutMs: 60_000 },
  },
  full: {
    natsKilled: { events: 30_000, kills: 3, timeoutMs: 600_000 },
    natsCut: { events: 9000, cutMs: 15_000, rate: 150, timeoutMs: 120_000 },
    postgresCut: { events: 9000, cutMs: 15_000, rate: 150, timeoutMs: 120_000 },
    handlersFailing: { events: 30_000, failEvery: 100, timeoutMs: 600_000 },
  },
} as const satisfies Record<
  string,
  { natsKilled: NatsKillSize; natsCut: CutSize; postgresCut: CutSize; handlersFailing: FailingSize }
>;
