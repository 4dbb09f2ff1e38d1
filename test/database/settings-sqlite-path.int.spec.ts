import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError, createDatabase } from 'weft/internal';

interface Outcome {
  readonly name: string;
  readonly message: string;
  readonly ms: number;
}

/** Opens `url` and reports how it failed and how long that took; "opened" when it did not fail. */
async function open(url: string): Promise<Outcome> {
  const started = performance.now();
  try {
    const db = await createDatabase(url);
    await db.close();
    return { name: 'opened', message: '', ms: performance.now() - started };
  } catch (error) {
    const { constructor, message } = error as Error;
    return { name: constructor.name, message, ms: performance.now() - started };
  }
}

/**
 * Opens `url` in a process of its own as the unprivileged user `nobody`, since root writes any
 * folder whatever its mode. (Not root already: in this process.)
 */
async function openUnprivileged(url: string): Promise<Outcome> {
  if (process.getuid?.() !== 0) return open(url);
  const script = `
    const { createDatabase } = await import('weft/internal');
    const started = performance.now();
    const outcome = await createDatabase(${JSON.stringify(url)}).then(
      async (db) => { await db.close(); return { name: 'opened', message: '' }; },
      (error) => ({ name: error.constructor.name, message: error.message }),
    );
    process.stdout.write(JSON.stringify({ ...outcome, ms: performance.now() - started }));`;
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      uid: 65534,
      gid: 65534,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the unprivileged child failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as Outcome;
}

describe('a SQLite path that cannot hold a database', () => {
  let folder: string;

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'weft-path-'));
    // Open to the unprivileged child too.
    await chmod(folder, 0o755);
  });

  afterEach(async () => {
    await chmod(join(folder, 'locked'), 0o755).catch(() => undefined);
    await rm(folder, { recursive: true, force: true });
  });

  it.each([
    // Node's recursive mkdir spins forever on /proc: this start hung at 100% CPU.
    ['/proc/weft/game.db', /\/proc is a virtual filesystem/],
    ['/proc/game.db', /\/proc is a virtual filesystem/],
    ['/sys/weft/game.db', /\/sys is a virtual filesystem/],
    ['/dev/null', /not a regular file/],
  ])('refuses %s at start with one clear ConfigError, in under a second', async (path, reason) => {
    const outcome = await open(`sqlite:${path}`);
    expect(outcome.name).toBe(ConfigError.name);
    expect(outcome.message).toContain(path);
    expect(outcome.message).toMatch(reason);
    expect(outcome.ms).toBeLessThan(1000);
  });

  it('refuses a directory, naming a file to use instead', async () => {
    const outcome = await open(`sqlite:${folder}`);
    expect(outcome.name).toBe(ConfigError.name);
    expect(outcome.message).toContain(`${folder} is a directory`);
    expect(outcome.message).toContain(join(folder, 'weft.db'));
  });

  it('refuses an existing file that is not a SQLite database, and leaves it as it was', async () => {
    const notes = join(folder, 'notes.txt');
    await writeFile(notes, 'a player wrote this; it is not a database\n'.repeat(200));
    const outcome = await open(`sqlite:${notes}`);
    expect(outcome.name).toBe(ConfigError.name);
    expect(outcome.message).toContain(`${notes} exists and is not a SQLite database`);
    expect(await readFile(notes, 'utf8')).toBe('a player wrote this; it is not a database\n'.repeat(200));
    expect(await readdir(folder)).toEqual(['notes.txt']);
  });

  it('opens an empty file, which SQLite takes as a new database', async () => {
    const empty = join(folder, 'empty.db');
    await writeFile(empty, '');
    expect((await open(`sqlite:${empty}`)).name).toBe('opened');
  });

  it('names the file in the way when a folder of the path cannot be made', async () => {
    await writeFile(join(folder, 'saves'), '');
    const path = join(folder, 'saves', 'world', 'game.db');
    const outcome = await open(`sqlite:${path}`);
    expect(outcome.name).toBe(UnavailableError.name);
    expect(outcome.message).toContain(`SQLite ${path} is unavailable`);
    expect(outcome.message).toContain(`${join(folder, 'saves')} is a file, not a folder`);
  });

  it('says which folder cannot be written, when it exists and when it must be made', async () => {
    const locked = join(folder, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o555);
    const inLocked = await openUnprivileged(`sqlite:${join(locked, 'game.db')}`);
    expect(inLocked.name).toBe(UnavailableError.name);
    expect(inLocked.message).toMatch(new RegExp(`folder ${locked} is not writable \\(EACCES\\)`));
    expect(inLocked.ms).toBeLessThan(1000);
    const below = await openUnprivileged(`sqlite:${join(locked, 'saves', 'game.db')}`);
    expect(below.name).toBe(UnavailableError.name);
    expect(below.message).toContain(`cannot make folder ${join(locked, 'saves')} (EACCES)`);
  });
});
