import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresAvailableForTests, postgresTestUrl } from 'weft/testing';
import { withPostgresSchema } from '../crash-worker.js';

/** `weft demo` as a real process: its exit code and what it printed. */
function runDemo(
  env: Record<string, string | undefined>,
  args: readonly string[] = [],
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', ...args], {
      // An undefined value takes the variable away from the child.
      env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** What a user checks of a demo run: every step's line, the craft's tree with its consequences nested, the audit. */
function expectAWholeSession(run: { code: number | null; out: string; err: string }): void {
  expect(run.code, `${run.out}\n${run.err}`).toBe(0);
  const lines = run.out.split('\n');
  for (const step of [
    /^Ann registered and created a level 1 warrior in greenvale: gold 50$/,
    /^Bob registered and created a level 1 alchemist in greenvale: gold 80$/,
    /talked to captain_ada and took the quest slime_cleanup$/,
    /fought a slime \(#5\): won/,
    /claimed slime_cleanup: gold \d+ -> \d+, \+50 xp, level 2$/,
    /travelled greenvale -> ironhill$/,
    /talked to smith_bram and took the quest forge_a_sword$/,
    /bought 6 copper_ore: gold \d+ -> \d+$/,
    /crafted 1 copper_sword: gold \d+ -> \d+$/,
    /claimed forge_a_sword/,
    /sold 1 \w+: gold \d+ -> \d+$/,
    /crafted 1 healing_potion: gold 75 -> 74$/,
    /^Ann gave Bob 10 gold: Ann has \d+, Bob \d+$/,
  ])
    expect(
      lines.some((line) => step.test(line.replace(/(Ann|Bob) [0-9a-f]{6}/g, '$1'))),
      String(step),
    ).toBe(true);
  const crafted = lines.findIndex((line) => line.startsWith('  - crafting.item_crafted (recipeId=forge_copper_sword'));
  expect(crafted, run.out).toBeGreaterThan(0);
  // The quest's completion is one level under the craft that caused it.
  expect(
    lines.slice(crafted + 1).some((line) => line.startsWith('    - quest.completed (questId=forge_a_sword)')),
  ).toBe(true);
  expect(lines).toContain('economy audit: balanced: true (2 wallets, ledger sum 0)');
  expect(lines).toContain('demo done: every step did what it should');
}

const postgres = await postgresAvailableForTests();

describe('weft demo, as a real process', () => {
  it('plays the whole session on a SQLite file of its own and exits 0 with the audit balanced', async () => {
    expectAWholeSession(await runDemo({}));
  }, 180_000);

  it('exits 1 naming the step that went wrong, and refuses --url without the admin password', async () => {
    // Nothing listens on port 1: the first step, the admin's sign-in (before any player is made), gets no answer.
    const nobody = await runDemo({ WEFT_ADMIN_PASSWORD: 'some admin password' }, ['--url', 'http://127.0.0.1:1']);
    expect(nobody.code).toBe(1);
    expect(nobody.err).toMatch(/^demo failed: step "admin signs in": POST \/auth\/login got no answer/m);
    const noPassword = await runDemo({ WEFT_ADMIN_PASSWORD: undefined }, ['--url', 'http://127.0.0.1:1']);
    expect(noPassword.code).toBe(1);
    expect(noPassword.err).toContain('weft demo --url needs WEFT_ADMIN_PASSWORD');
  }, 60_000);

  describe.runIf(postgres)('PostgreSQL', () => {
    it('plays the whole session on PostgreSQL (WEFT_DATABASE_URL) and exits 0 with the audit balanced', async () => {
      await withPostgresSchema(async (schema) => {
        const client = new pg.Client({ connectionString: postgresTestUrl() });
        await client.connect();
        await client.query(`create schema ${schema}`);
        await client.end();
        expectAWholeSession(
          await runDemo({
            WEFT_DATABASE_URL: postgresTestUrl(),
            // The server's pool takes the schema from libpq's PGOPTIONS: a URL cannot name one.
            PGOPTIONS: `-c search_path=${schema}`,
            WEFT_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
          }),
        );
      });
    }, 180_000);
  });
});
