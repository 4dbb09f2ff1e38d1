// What the game holds, cheaply compared: a refused request must leave it as it was.
import type { TestIntegration } from 'weft/testing';

/** The state part's table of current entries: the columns a snapshot reads. */
interface EntryTable {
  weft_state_entries: { system: string; key: string; version: number };
}

/** Every state entry's version (by `system/key`) and the event log's last sequence number. */
export interface GameSnapshot {
  readonly lastEvent: number;
  readonly versions: Readonly<Record<string, number>>;
}

/**
 * The game's state across every system, as versions: any write bumps one, a new entry adds one, a
 * deletion removes one; any published durable event moves `lastEvent`. One query over the state
 * part's entries (a fuzz test takes hundreds of snapshots; listing each system's slice took one
 * query per system). Call it with no event in flight (after `events.drain()`), or a subscriber's
 * late write reads as the request's.
 */
export async function snapshot(weft: Pick<TestIntegration, 'db' | 'events'>): Promise<GameSnapshot> {
  const rows = await weft.db
    .withTables<EntryTable>()
    .executor()
    .selectFrom('weft_state_entries')
    .select(['system', 'key', 'version'])
    .execute();
  const versions = Object.fromEntries(rows.map((row) => [`${row.system}/${row.key}`, Number(row.version)]));
  return { lastEvent: await weft.events.log.lastSeq(), versions };
}
