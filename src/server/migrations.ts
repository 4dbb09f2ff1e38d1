import { Migrator, type Database } from '../integration/index.js';

/**
 * The migrator with every part's migrations, in dependency order. Each part that owns tables
 * (events, state, the game systems) registers its list here as it lands; until then the
 * migrator only keeps its journal.
 */
export function createMigrator(db: Database): Migrator {
  return new Migrator(db);
}
