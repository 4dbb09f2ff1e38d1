import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Database } from '../database/internal.js';
import type { StateTables } from './entry-queries.js';

/** What the status shows of one slice's entries. */
export interface SliceSummary {
  readonly entries: number;
  /** When an entry of the slice last changed. */
  readonly lastChange: string | undefined;
  /** The version that change wrote (the highest, when several entries changed at that time). */
  readonly lastVersion: number | undefined;
}

/**
 * Keys counted a statement. On SQLite a statement holds the event loop while it runs: 2,000 keys of
 * the primary key's index take about a millisecond, so a status never blocks a liveness probe for
 * long, whatever the size of a slice.
 */
const COUNT_PAGE = 2_000;

/**
 * One slice's summary without reading its values: its latest change (a delete included) from the history's index on
 * `(system, changed_at)` (migration 004; history keeps every entry's current version whatever the retention), its
 * entries counted in pages of COUNT_PAGE keys of the primary key's index, yielding to the event loop between pages.
 */
export async function summarizeSlice(db: Database<StateTables>, slice: string): Promise<SliceSummary> {
  const executor = db.executor();
  const latest = await executor
    .selectFrom('weft_state_history')
    .select((eb) => ['changed_at', eb.fn.max('version').as('version')])
    .where('system', '=', slice)
    .where('changed_at', '=', (eb) =>
      eb
        .selectFrom('weft_state_history')
        .select((inner) => inner.fn.max('changed_at').as('last'))
        .where('system', '=', slice),
    )
    .groupBy('changed_at')
    .executeTakeFirst();
  let entries = 0;
  for (let after: string | undefined; ;) {
    await yieldToEventLoop();
    const page = await executor
      .selectFrom((eb) => {
        let keys = eb.selectFrom('weft_state_entries').select('key').where('system', '=', slice);
        if (after !== undefined) keys = keys.where('key', '>', after);
        return keys.orderBy('key').limit(COUNT_PAGE).as('page');
      })
      .select((eb) => [eb.fn.countAll<number | string | bigint>().as('keys'), eb.fn.max('page.key').as('last')])
      .executeTakeFirstOrThrow();
    const keys = Number(page.keys);
    entries += keys;
    if (keys < COUNT_PAGE || page.last === null) break;
    after = page.last;
  }
  return {
    entries,
    lastChange: latest?.changed_at,
    lastVersion: latest === undefined ? undefined : Number(latest.version),
  };
}
