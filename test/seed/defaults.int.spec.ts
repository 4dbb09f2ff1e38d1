import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const worker = fileURLToPath(new URL('./defaults/worker.ts', import.meta.url));
// tsx by path: the worker runs in a folder with no node_modules.
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Runs the worker in `cwd` without WEFT_DATABASE_URL; returns its JSON log lines and its last output line. */
function runDefaults(cwd: string): { lines: Array<Record<string, unknown>>; result: unknown } {
  const env = { ...process.env };
  delete env.WEFT_DATABASE_URL;
  const run = spawnSync(process.execPath, ['--import', tsx, worker], { cwd, env, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const parsed = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines: parsed.slice(0, -1), result: parsed.at(-1) };
}

describe('the seed-style default instances', () => {
  it("write to serve's default, sqlite:./data/weft.db, say where once, and keep their data across runs", () => {
    const cwd = mkdtempSync(join(tmpdir(), 'weft-defaults-'));
    try {
      const first = runDefaults(cwd);
      expect(first.result).toEqual({ day: 1 });
      expect(existsSync(join(cwd, 'data', 'weft.db'))).toBe(true);
      const opened = first.lines.filter((line) => line.msg === 'database opened');
      expect(opened).toEqual([expect.objectContaining({ system: 'database', target: 'SQLite ./data/weft.db' })]);
      // A second run finds what the first wrote: nothing vanished on exit.
      const second = runDefaults(cwd);
      expect(second.result).toEqual({ day: 1 });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
