import { Migrator, eventMigrations, stateMigrations, type Database } from '../integration/internal.js';

/**
 * The migrator with every part's migrations, in dependency order. Each part that owns tables
 * (events, state; the game systems as they land) registers its list here.
 */
export function createMigrator(db: Database): Migrator {
  return new Migrator(db).register('events', eventMigrations).register('state', stateMigrations);
}
