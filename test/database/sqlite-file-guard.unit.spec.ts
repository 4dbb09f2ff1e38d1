import { link, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from 'weft/internal';
import { FILE_CHECK_INTERVAL_MS, SqliteFileGuard } from '../../src/integration/database/sqlite-file-guard.js';

describe('SqliteFileGuard', () => {
  let folder: string;
  let path: string;
  let clock: number;
  let losses: number;
  let guard: SqliteFileGuard;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-guard-'));
    path = join(folder, 'game.db');
    await writeFile(path, '');
    clock = 0;
    losses = 0;
    guard = new SqliteFileGuard(path, `SQLite ${path}`, { now: () => clock, onLost: () => losses++ });
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const refusal = (): unknown => {
    try {
      guard.assertSame();
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it('looks at the path at most once per interval: a delete is noticed within one interval', async () => {
    expect(FILE_CHECK_INTERVAL_MS).toBeGreaterThanOrEqual(100);
    expect(FILE_CHECK_INTERVAL_MS).toBeLessThanOrEqual(250);
    guard.assertSame();
    await rm(path);
    clock = FILE_CHECK_INTERVAL_MS - 1;
    // The window the interval leaves: the last look is still believed.
    expect(refusal()).toBeUndefined();
    clock = FILE_CHECK_INTERVAL_MS;
    expect(refusal()).toBeInstanceOf(UnavailableError);
    expect((refusal() as Error).message).toContain('is not the one open (deleted)');
    expect(losses).toBe(1);
  });

  it('tells a replacement from the file it opened, and serves again once that very file is back', async () => {
    await link(path, join(folder, 'kept.db'));
    await rm(path);
    await writeFile(path, '');
    expect((refusal() as Error).message).toContain('is not the one open (replaced by another file)');
    clock += FILE_CHECK_INTERVAL_MS;
    expect(refusal()).toBeInstanceOf(UnavailableError);
    expect(losses).toBe(1);

    await rm(path);
    await link(join(folder, 'kept.db'), path);
    clock += FILE_CHECK_INTERVAL_MS;
    expect(refusal()).toBeUndefined();

    await rm(path);
    clock += FILE_CHECK_INTERVAL_MS;
    expect(refusal()).toBeInstanceOf(UnavailableError);
    expect(losses).toBe(2);
  });

  it('keeps a failure of onLost as the cause of its refusals', async () => {
    const failure = new Error('could not empty the WAL');
    const failing = new SqliteFileGuard(path, `SQLite ${path}`, {
      onLost: () => {
        throw failure;
      },
    });
    await rm(path);
    expect(() => failing.assertSame()).toThrow(UnavailableError);
    try {
      failing.assertSame();
    } catch (error) {
      expect((error as Error).cause).toBe(failure);
    }
  });
});
