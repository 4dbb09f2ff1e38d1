import type { z } from 'zod';
import { defineSystem, type EventEnvelope, type SystemDefinition } from '../../../integration/index.js';
import { Summary, SummaryInput } from './schemas.js';
import { HourlyStore } from './store.js';
import { summarize } from './summary.js';
import { analyticsMigrations, type AnalyticsTables } from './tables.js';
import { hourOf, hoursAfter, tally } from './tally.js';

declare module '../../../integration/index.js' {
  interface WeftCommands {
    'analytics.summary': { input: z.input<typeof SummaryInput>; output: z.infer<typeof Summary> };
  }
}

/** Options of the analytics system. */
export interface AnalyticsOptions {
  /** The clock the summary's range and the retention read (tests move it). Default `Date.now`. */
  readonly now?: () => number;
  /** Hours of rows kept; older ones are removed, and older events are not counted. Default 90 days. */
  readonly retentionHours?: number;
  /** Events handed over at once; the durable subscription takes what it finds waiting, up to this many. */
  readonly batch?: { readonly maxSize: number; readonly maxWaitMs: number };
}

/**
 * The analytics system: one durable batch subscription to every event of the log counts, per hour, the
 * events of each type and publishing system, the distinct characters named in event data, and
 * gold by source and sink (from `economy.gold_moved`), in its own hourly tables; `summary` reads
 * them back. Counting in the delivery's transaction makes every event count once.
 */
export function analyticsSystem(options: AnalyticsOptions = {}): SystemDefinition<'analytics'> {
  const now = options.now ?? Date.now;
  const retentionHours = options.retentionHours ?? 90 * 24;
  return defineSystem({
    name: 'analytics',
    setup(sys) {
      sys.migrations(analyticsMigrations);
      const store = new HourlyStore(sys.database<AnalyticsTables>());
      const events = sys.metrics.counter('events_counted_total', { help: 'Events analytics counted.' });
      /** The hour the rows were last pruned at, in this process: pruning runs once an hour. */
      let prunedAt: string | undefined;

      sys.events.subscribe(
        '*',
        async (batch: readonly EventEnvelope[]) => {
          const since = hoursAfter(hourOf(now()), -retentionHours + 1);
          await store.add(tally(batch, since));
          if (prunedAt !== since) {
            await store.prune(since);
            prunedAt = since;
          }
          events.inc({}, batch.length);
        },
        {
          name: 'tally',
          batch: options.batch ?? { maxSize: 500, maxWaitMs: 1000 },
          // Analytics installed on a running game counts what the log still holds.
          startFrom: 'beginning',
          // Counts are a projection of the log: an operator's replay clears them and counts every event again.
          reset: () => store.clear(),
        },
      );

      sys.command(
        'summary',
        {
          input: SummaryInput,
          output: Summary,
          readOnly: true,
          description: 'Events, active characters and gold per hour over the last hours.',
        },
        async ({ hours }) => {
          const last = hourOf(now());
          const from = hoursAfter(last, -(hours - 1));
          return summarize(await store.read(from), from, last);
        },
      );
    },
  });
}
