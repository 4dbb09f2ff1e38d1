import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

/** The migrations `weft migrate status` lists, `part/name  state` without the time they were applied. */
function listed(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/ applied \S+$/, ' applied'));
}

describe('weft migrate, as a real process', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-migrate-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('runs without the game content: the schema does not depend on it', async () => {
    const database = { WEFT_DATABASE_URL: `sqlite:${join(folder, 'weft.db')}` };
    const noContent = { ...database, WEFT_CONTENT_DIR: join(folder, 'nonexistent') };
    const pending = await runCli(['migrate', 'status'], noContent);
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stderr).toBe('');
    // Weft's migrations and every game system's that has some.
    for (const migration of [
      'events/001_event_log',
      'auth_user/002_signing_key',
      'economy/001_ledger',
      'analytics/001_hourly',
    ])
      expect(listed(pending.stdout)).toContain(`${migration}  pending`);

    const up = await runCli(['migrate', 'up'], noContent);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout.trimEnd().split('\n')).toEqual(
      listed(pending.stdout).map((line) => `applied ${line.replace(/ {2}pending$/, '')}`),
    );

    // The same migrations as with the content loaded: none of them is left unregistered or pending.
    const withContent = await runCli(['migrate', 'status'], database);
    expect(withContent.code, withContent.stderr).toBe(0);
    expect(listed(withContent.stdout)).toEqual(
      listed(pending.stdout).map((line) => line.replace(/pending$/, 'applied')),
    );

    const down = await runCli(['migrate', 'down'], noContent);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe('reverted analytics/001_hourly\n');
  }, 60_000);
});
