import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

const ADMIN_PASSWORD = 'admin-password-of-this-test';

/** How many rows each table holds, but the sign-in guard's (a failed sign-in is counted there, as it should be). */
function rowCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables
        .filter((table) => table !== 'auth_user_login_failures')
        .map((table) => [table, db.prepare(`select count(*) from "${table}"`).pluck().get() as number]),
    );
  } finally {
    db.close();
  }
}

function usernames(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('select username from auth_user_accounts order by username').pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** `weft serve` on `env`, once it logged where it listens: its URL, and how to stop it. */
async function serve(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', WEFT_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const record = JSON.parse(line) as { url?: string };
      if (record.url !== undefined) resolve(record.url);
    });
    void exited.then(() => reject(new Error('weft serve exited before it listened')));
  });
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('weft demo checks the admin password before it plays, as a real process', () => {
  let folder: string;
  let file: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-demo-admin-'));
    file = join(folder, 'weft.db');
    // A database that was used: its admin made by a first start with a password of its own.
    env = { WEFT_DATABASE_URL: `sqlite:${file}`, WEFT_ADMIN_PASSWORD: undefined, WEFT_LOG_LEVEL: undefined };
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('stops before the first step, naming WEFT_ADMIN_PASSWORD, and writes no player', async () => {
    const server = await serve({ WEFT_DATABASE_URL: `sqlite:${file}`, WEFT_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const before = rowCounts(file);
    expect(usernames(file)).toEqual(['admin']);
    try {
      const remote = await runCli(['demo', '--url', server.url], { ...env, WEFT_ADMIN_PASSWORD: 'not-the-password' });
      expect(remote.code, remote.stderr).toBe(1);
      expect(remote.stderr).toBe(
        `weft: WEFT_ADMIN_PASSWORD is not the password of the "admin" account of the server at ${server.url} (sign-in answered 401): set it to the password of that account. Nothing was played. (WEFT_INVALID_CONFIG)\n`,
      );
      expect(remote.stdout).toBe(`weft demo against ${server.url}\n`);
    } finally {
      await server.stop();
    }

    // Its own server on WEFT_DATABASE_URL: without WEFT_ADMIN_PASSWORD, the admin's password is unknown.
    const unknown = await runCli(['demo'], env);
    expect(unknown.code, unknown.stderr).toBe(1);
    expect(unknown.stderr).toBe(
      'weft: The "admin" account of the database of WEFT_DATABASE_URL exists already, and the demo does not know its password: set WEFT_ADMIN_PASSWORD to it. Nothing was played. (WEFT_INVALID_CONFIG)\n',
    );
    expect(unknown.stdout.trimEnd().split('\n')).toHaveLength(1);

    const wrong = await runCli(['demo'], { ...env, WEFT_ADMIN_PASSWORD: 'not-the-password' });
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stderr).toMatch(
      /^weft: WEFT_ADMIN_PASSWORD is not the password of the "admin" account of the database of WEFT_DATABASE_URL \(sign-in answered 401\)/,
    );
    expect(wrong.stdout.trimEnd().split('\n')).toHaveLength(1);

    expect(usernames(file)).toEqual(['admin']);
    expect(rowCounts(file)).toEqual(before);
  }, 90_000);
  it('on a new WEFT_DATABASE_URL, shows the admin password the server chose; the next run needs it', async () => {
    const second = join(folder, 'second.db');
    const database = { ...env, WEFT_DATABASE_URL: `sqlite:${second}` };
    const first = await runCli(['demo'], database);
    expect(first.code, first.stderr).toBe(0);
    const shown =
      /^made the admin account "admin" of WEFT_DATABASE_URL with the password (\S+) \(shown once; set WEFT_ADMIN_PASSWORD to choose it\)$/m.exec(
        first.stdout,
      );
    expect(shown, first.stdout).not.toBeNull();
    const players = usernames(second);
    expect(players).toHaveLength(3);
    const before = rowCounts(second);

    // The QA case: a used database, no WEFT_ADMIN_PASSWORD. It stops before the first step.
    const unknown = await runCli(['demo'], database);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('set WEFT_ADMIN_PASSWORD to it. Nothing was played.');
    expect(usernames(second)).toEqual(players);
    expect(rowCounts(second)).toEqual(before);

    const again = await runCli(['demo'], { ...database, WEFT_ADMIN_PASSWORD: shown?.[1] });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('made the admin account');
    expect(usernames(second)).toHaveLength(5);
  }, 120_000);
});
