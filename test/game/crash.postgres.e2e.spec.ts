import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { gameCrashContract } from './crash.contract.js';

/**
 * Runs `test` with the URL of a fresh database on the test PostgreSQL server, dropped afterwards. A database rather
 * than a schema: the worker starts the game as `weft demo` does, from WEFT_DATABASE_URL alone, which names no schema
 * (as test/scaling/cluster.e2e.spec.ts does for `weft serve`).
 */
async function withPostgresDatabase(test: (url: string) => Promise<void>): Promise<void> {
  const base = postgresTestUrl();
  const database = `weft_game_crash_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${database}`);
    await test(`${base.replace(/\/[^/]*$/, '')}/${database}`);
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

describe.runIf(await postgresAvailableForTests())('PostgreSQL', () => {
  gameCrashContract('PostgreSQL', withPostgresDatabase);
});
