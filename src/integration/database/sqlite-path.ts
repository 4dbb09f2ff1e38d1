import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, UnavailableError } from '../errors/internal.js';

/** Kernel filesystems that hold no files of ours. Node's recursive mkdir spins forever on /proc. */
const VIRTUAL_ROOTS = ['/proc', '/sys'];

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks that `filename` can hold a SQLite database, makes its missing folders, and returns its
 * absolute path. A path that never can (under /proc or /sys, a directory, a device, a file that is
 * not SQLite) is a ConfigError; one the filesystem refuses now (a folder that cannot be made or
 * written, a file that cannot be read and written) is an UnavailableError. Both name the path.
 */
export function prepareSqliteFile(filename: string, target: string): string {
  const path = resolve(filename);
  const refuse = (reason: string): ConfigError =>
    new ConfigError(`Setting "url": ${target} cannot hold a database: ${reason}.`);
  const fs = <T>(what: string, run: () => T): T => {
    try {
      return run();
    } catch (error) {
      throw new UnavailableError(`${target} is unavailable: ${what} (${codeOf(error)}).`, { cause: error });
    }
  };
  const stat = (p: string) => fs(`cannot read ${p}`, () => statIfAny(p));

  // The folders to make, outermost first, up to the nearest one that exists. Made one by one:
  // a recursive mkdir spins forever on /proc.
  const missing: string[] = [];
  let folder = dirname(path);
  let folderStats = stat(folder);
  while (folderStats === undefined && dirname(folder) !== folder) {
    missing.unshift(folder);
    folder = dirname(folder);
    folderStats = stat(folder);
  }
  const real = fs(`cannot resolve ${folder}`, () => realpathSync(folder));
  const root = VIRTUAL_ROOTS.find((r) => real === r || real.startsWith(`${r}/`));
  if (root !== undefined) throw refuse(`${root} is a virtual filesystem of the kernel; name a file on a disk`);

  const existing = stat(path);
  if (existing?.isDirectory() === true) {
    throw refuse(`${path} is a directory; name a file in it, such as ${join(path, 'weft.db')}`);
  }
  if (existing !== undefined && !existing.isFile()) {
    throw refuse(`${path} is not a regular file (a device, a pipe or a socket)`);
  }
  if (existing !== undefined && existing.size > 0 && !fs(`cannot read ${path}`, () => isSqliteFile(path))) {
    throw refuse(`${path} exists and is not a SQLite database; Weft leaves it as it is`);
  }

  if (folderStats?.isDirectory() !== true) {
    throw new UnavailableError(
      `${target} is unavailable: ${folder} is a file, not a folder, so ${missing[0] ?? path} cannot be made.`,
    );
  }
  for (const next of missing) fs(`cannot make folder ${next}`, () => mkdirSync(next));
  // SQLite writes the -wal and -shm files beside the database, so its folder must be writable too.
  fs(`folder ${dirname(path)} is not writable`, () => accessSync(dirname(path), constants.W_OK));
  if (existing !== undefined) {
    fs(`${path} cannot be read and written`, () => accessSync(path, constants.R_OK | constants.W_OK));
  }
  return path;
}

/** The file or folder at `path`; undefined when nothing is there (or a file stands where a folder of it should). */
function statIfAny(path: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (codeOf(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

function isSqliteFile(path: string): boolean {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, header, 0, header.length, 0) === header.length && header.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : String(error);
}
