import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, MonitoringManager, UnavailableError } from 'weft/internal';
import { readServeConfig, startServer } from '../../src/server/index.js';

describe('weft serve with a WEFT_CONTENT_DIR that is not a folder', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-content-dir-'));
    await writeFile(join(folder, 'a-file'), '{}');
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it.each([
    ['missing', 'which does not exist'],
    ['a-file', 'which is not a folder'],
  ])('stops with one sentence naming the setting (%s), before the database is made', async (name, why) => {
    const contentDir = join(folder, name);
    const config = readServeConfig({
      PORT: '0',
      WEFT_DATABASE_URL: `sqlite:${join(folder, 'db', 'weft.db')}`,
      WEFT_LOG_LEVEL: 'silent',
      WEFT_CONTENT_DIR: contentDir,
    });
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    await expect(startServer(config, monitoring)).rejects.toThrow(
      `Invalid environment: setting WEFT_CONTENT_DIR: must be a folder of content JSON files (received: ${JSON.stringify(contentDir)}, ${why}).`,
    );
    // Nothing half made: no database folder, no file migrated without the game's tables.
    expect(await readdir(folder)).toEqual(['a-file']);
  });
});

describe('weft serve with a WEFT_DATABASE_URL it cannot use', () => {
  it.each([
    ['mysql://nowhere/game', ConfigError, 'Database URL "mysql://nowhere/game" is not supported'],
    ['sqlite:/proc/weft/game.db', ConfigError, 'SQLite /proc/weft/game.db cannot hold a database'],
    ['postgres://postgres@127.0.0.1:1/game', UnavailableError, 'PostgreSQL at 127.0.0.1:1/game as postgres'],
  ])('names the setting in its one sentence (%s)', async (url, kind, what) => {
    const config = readServeConfig({ PORT: '0', WEFT_DATABASE_URL: url, WEFT_LOG_LEVEL: 'silent' });
    const monitoring = new MonitoringManager({ logger: { level: 'silent' }, processMetrics: false });
    const refused = await startServer(config, monitoring).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(kind);
    expect((refused as Error).message).toMatch(new RegExp(`^Setting WEFT_DATABASE_URL: ${escape(what)}`));
  });
});

/** `text` as a regular expression that matches it literally. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
