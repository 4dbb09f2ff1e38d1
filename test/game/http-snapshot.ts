// What the game holds, cheaply compared: a refused request must leave it as it was.
import type { TestIntegration } from 'weft/testing';

/** Every state entry's version (by `system/key`) and the event log's last sequence number. */
export interface GameSnapshot {
  readonly lastEvent: number;
  readonly versions: Readonly<Record<string, number>>;
}

/**
 * The game's state across every system, as versions: any write bumps one, a new entry adds one, a
 * deletion removes one; any published durable event moves `lastEvent`. Call it with no event in flight
 * (after `events.drain()`), or a subscriber's late write reads as the request's.
 */
export async function snapshot(weft: Pick<TestIntegration, 'state' | 'events'>): Promise<GameSnapshot> {
  const versions: Record<string, number> = {};
  for (const system of weft.state.systems()) {
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await weft.state.list(system, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      for (const entry of page.entries) versions[`${system}/${entry.key}`] = entry.version;
      cursor = page.cursor;
    }
  }
  return { lastEvent: await weft.events.log.lastSeq(), versions };
}
