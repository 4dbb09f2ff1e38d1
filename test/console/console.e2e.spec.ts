import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page, Request, Response } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from './browser.js';
import { startConsoleServer, type ServerProcess } from './console-process.js';
import { createWarrior, regionOf, registerPlayer, sawPlanks, travel, type PlayerCharacter } from './game-client.js';

const ARTIFACTS = 'test-artifacts/console';
/** The most JavaScript the page may ship, gzipped. */
const MAX_GZIPPED_JS = 150 * 1024;
const PLAYER_PASSWORD = 'a player password';

/**
 * The operator console in Debian's Chromium against a real server process (a SQLite file), built from
 * the sources first so no stale build is tested. The scenarios run in order on one server and one page,
 * as an operator would use it; each saves a screenshot under test-artifacts/console/.
 */
describe.runIf(chromiumAvailable())('the operator console in a browser', () => {
  const folder = mkdtempSync(join(tmpdir(), 'weft-console-'));
  // Built into a folder of its own: another test's `npm run build` empties dist/ meanwhile.
  const BUILD = join(folder, 'console');
  const env = {
    WEFT_DATABASE_URL: `sqlite:${join(folder, 'console.db')}`,
    WEFT_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
    CONSOLE_TEST_BUILD: `${BUILD}/`,
  };
  let server: ServerProcess;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let ann: PlayerCharacter;

  /** What the page wrote to the browser's console as errors, and errors it threw. */
  const browserErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await build({ configFile: 'vite.console.config.ts', logLevel: 'warn', build: { outDir: BUILD } });
    [server, browser] = await Promise.all([startConsoleServer(env), launchBrowser()]);
    context = browser.context;
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(String(error)));
    ann = await createWarrior(server.url, await registerPlayer(server.url, 'ann', PLAYER_PASSWORD), 'Ann');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: false });
  const tab = (name: string) => page.getByRole('tab', { name }).click();

  async function signIn(username: string, password: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('ships at most 150 KB of gzipped JavaScript', () => {
    const scripts = readdirSync(`${BUILD}/assets`).filter((file) => file.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce((sum, file) => sum + gzipSync(readFileSync(`${BUILD}/assets/${file}`)).length, 0);
    expect(gzipped).toBeLessThanOrEqual(MAX_GZIPPED_JS);
  });

  it('refuses a player with a clear message and signs an admin in', async () => {
    await page.goto(`${server.url}/console/`);
    await signIn('ann', PLAYER_PASSWORD);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('player account');
    await shot('1-player-refused');
    await signIn('admin', env.WEFT_ADMIN_PASSWORD);
    await page.getByRole('tab', { name: 'Live events' }).waitFor();
    await page.locator('[data-state="live"]').waitFor();
    await shot('1-admin-signed-in');
  });

  it('shows a craft made through the API in Live events within a second, and its trace', async () => {
    const craft = await sawPlanks(server.url, ann);
    const row = page.getByRole('row', { name: /crafting\.item_crafted/ }).first();
    await row.waitFor({ timeout: 1000 });
    expect(Date.now() - craft.answeredAt).toBeLessThan(1000);
    await row.click();
    const detail = page.getByRole('complementary');
    await detail.getByRole('tree').waitFor();
    // The ledger (the fee's gold_moved and the wallet) and the inventory (the character's items) changed.
    await expect.poll(() => detail.textContent()).toContain('economy.gold_moved');
    const changes = await detail.getByRole('list', { name: 'State changes' }).textContent();
    expect(changes).toContain('economy.wallets');
    expect(changes).toContain('character.characters');
    expect(changes).toContain('/inventory/plank');
    await shot('2-live-event-and-trace');
    await page.getByRole('button', { name: `Open the trace of ${craft.requestId}` }).click();
    await expect.poll(() => page.locator('#panel-trace').textContent()).toContain('crafting.item_crafted');
    await shot('2-trace-panel');
  });

  it('rolls back a traced request from the trace panel, and refuses one that moved gold', async () => {
    page.on('dialog', (dialog) => void dialog.accept());
    const outcome = page.locator('#panel-trace section[aria-label="Transactions"] [role="status"]');
    // The craft shown in the panel took a fee: its transaction wrote a wallet, kept with the ledger.
    const craft = page.locator('#panel-trace [data-transaction]', { hasText: 'economy.wallets' }).first();
    await craft.getByRole('button', { name: /^Roll back transaction/ }).click();
    await expect.poll(() => outcome.textContent()).toMatch(/^Rollback refused: .*economy\.wallets is kept in step/);
    // Force would be refused the same: not offered.
    expect(await craft.getByRole('button', { name: /anyway, over later changes$/ }).count()).toBe(0);

    const journey = await travel(server.url, ann, 'oakwood');
    await page.getByLabel('Correlation id to trace').fill(journey);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    // The craft's trace stays on screen until the journey's arrives, and its transaction wrote the character too.
    await page.getByRole('tree', { name: `Causal tree of ${journey}` }).waitFor();
    const moved = page.locator('#panel-trace [data-transaction]', { hasText: 'character.characters' }).first();
    await moved.waitFor();
    await moved.getByRole('button', { name: /^Roll back transaction \S+$/ }).click();
    await expect.poll(() => outcome.textContent()).toContain('Rolled back');
    expect(await regionOf(server.url, ann)).toBe('greenvale');
    await shot('2-trace-rolled-back');
  });

  it('rolls back a journey over the one after it only when asked to, from the trace panel', async () => {
    // Its confirmations are accepted by the dialog handler the test before set on this page.
    const outcome = page.locator('#panel-trace section[aria-label="Transactions"] [role="status"]');
    const first = await travel(server.url, ann, 'oakwood');
    await travel(server.url, ann, 'misty_marsh');
    await page.getByLabel('Correlation id to trace').fill(first);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.getByRole('tree', { name: `Causal tree of ${first}` }).waitFor();
    const moved = page.locator('#panel-trace [data-transaction]', { hasText: 'character.characters' }).first();
    await moved.waitFor();
    await moved.getByRole('button', { name: /^Roll back transaction \S+$/ }).click();
    // The later journey changed the character since: refused, and only then offered anyway.
    await expect.poll(() => outcome.textContent()).toMatch(/^Rollback refused: .*later changes touched/);
    expect(await regionOf(server.url, ann)).toBe('misty_marsh');
    await moved.getByRole('button', { name: /anyway, over later changes$/ }).click();
    await expect.poll(() => outcome.textContent()).toContain('Rolled back');
    expect(await regionOf(server.url, ann)).toBe('greenvale');
    await expect.poll(() => moved.getByRole('button', { name: /anyway/ }).count()).toBe(0);
  });

  it('re-drives a dead letter from the page, says so, and it disappears', async () => {
    await tab('Dead letters');
    const letter = page.locator('#panel-dead-letters tbody tr', { hasText: 'console_test.workshop' }).first();
    await letter.waitFor({ timeout: 5000 });
    const id = await letter.getAttribute('data-dead-letter');
    await page.getByRole('button', { name: `Re-drive dead letter ${id}` }).click();
    await expect.poll(() => page.locator('#panel-dead-letters [role="status"]').textContent()).toContain('Re-driven');
    await page.locator(`[data-dead-letter="${id}"]`).waitFor({ state: 'detached', timeout: 5000 });
    await shot('3-dead-letter-redriven');
  });

  it('shows an alert that fires as firing', async () => {
    await tab('Alerts');
    const state = page.locator('[data-rule="weft.dead_letters_growing"] .state');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('firing');
    await shot('4-alert-firing');
  });

  it('draws the economy plots and the audit', async () => {
    await tab('Economy');
    await expect.poll(() => page.locator('#panel-economy .audit').textContent()).toContain('balanced');
    const canvas = page.locator('#panel-economy .chart canvas').first();
    await canvas.waitFor();
    // uPlot draws on the canvas: some of its pixels are not blank.
    // A string: the test's TypeScript has no DOM types; this runs in the page.
    const drawn = await page.evaluate(`(() => {
      const canvas = document.querySelector('#panel-economy .chart canvas');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
      return count;
    })()`);
    expect(drawn).toBeGreaterThan(100);
    await expect.poll(() => page.locator('#panel-economy .u-legend').first().textContent()).toContain('supply');
    await shot('5-economy');
    await tab('Throughput');
    await page.locator('#panel-throughput .chart canvas').first().waitFor();
    await shot('5-throughput');
  });

  it('replays a projection from the systems panel, and offers no replay where effects would happen twice', async () => {
    await tab('Systems');
    const analytics = page.getByRole('table', { name: 'Subscriptions of analytics' });
    await analytics.waitFor();
    expect(await page.getByRole('table', { name: 'Subscriptions of economy' }).getByRole('button').count()).toBe(0);
    await analytics.getByRole('button', { name: 'Replay analytics.tally' }).click();
    await expect
      .poll(() => page.locator('#panel-systems [role="status"]').textContent())
      .toMatch(/^Replaying analytics\.tally: every event up to #\d+ comes through it again\.$/);
    // Counted again from the log: nothing waits once it came round.
    const waiting = analytics
      .getByRole('row', { name: /analytics\.tally/ })
      .getByRole('cell')
      .nth(1);
    await expect.poll(() => waiting.textContent(), { timeout: 10_000 }).toBe('0');
    await shot('5-systems-replayed');
  });

  it('is reachable by keyboard, with every control labelled', async () => {
    const selected = () => page.locator('[role="tab"][aria-selected="true"]').textContent();
    await page.getByRole('tab', { name: 'Live events' }).click();
    await page.keyboard.press('ArrowRight');
    expect(await selected()).toBe('Trace');
    await page.keyboard.press('End');
    expect(await selected()).toBe('Throughput');
    await page.keyboard.press('Home');
    expect(await selected()).toBe('Live events');
    expect(await page.evaluate('document.activeElement.getAttribute("role")')).toBe('tab');
    await page
      .getByRole('row', { name: /crafting\.item_crafted/ })
      .first()
      .focus();
    await page.keyboard.press('Enter');
    await page.getByRole('complementary').getByRole('tree').waitFor();
    // Every button and field has a name a screen reader says: its text, its aria-label, or its label.
    const unnamed = await page.evaluate(`[...document.querySelectorAll('button, input')].filter((e) =>
      !(e.getAttribute('aria-label') || e.textContent.trim() || (e.labels && e.labels.length > 0))).length`);
    expect(unnamed).toBe(0);
  });

  it('is usable on a 390x844 phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await tab('Systems');
    await page.locator('#panel-systems .card').first().waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('6-phone-systems');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('wrote no error to the browser console while used, but for the refusals the tests asked for', () => {
    // The player's sign-in is refused on purpose (401/403), and so is the rollback of a craft (409); anything else, a
    // missing /favicon.ico (404) once, is not.
    expect(browserErrors.filter((text) => !/status of (40[13]|409)/.test(text))).toEqual([]);
  });

  it('reconnects the stream by itself after the server restarts, and says so', async () => {
    await tab('Live events');
    const status = page.locator('.stream-status');
    await status.and(page.locator('[data-state="live"]')).waitFor();
    const port = server.port;
    await server.stop();
    await status.and(page.locator('[data-state="reconnecting"]')).waitFor({ timeout: 10_000 });
    await shot('7-stream-dropped');
    // A panel that polls says the server is away in words, not the browser's "Failed to fetch".
    await tab('Systems');
    await page
      .locator('#panel-systems .error', { hasText: 'The server could not be reached' })
      .waitFor({ timeout: 10_000 });
    await tab('Live events');
    server = await startConsoleServer(env, port);
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('reconnected at');
    // What happens after the restart arrives on the same page.
    await sawPlanks(server.url, ann);
    await page
      .getByRole('row', { name: /crafting\.item_crafted/ })
      .nth(1)
      .waitFor({ timeout: 5000 });
    await shot('7-stream-reconnected');
  });

  it('stays signed in once its access token no longer passes: the calls refused share one refresh', async () => {
    // As when the access token's 15 minutes are up: every panel's poll and the stream are refused (401) at once. A
    // refresh token works once (a rotated one coming back ends the session), so they must trade it once, together.
    const refreshes: number[] = [];
    const onResponse = (response: Response) => {
      if (new URL(response.url()).pathname === '/auth/refresh') refreshes.push(response.status());
    };
    page.on('response', onResponse);
    // The tab's saved access token, made one the server refuses (its signature changed), and the page loaded again.
    await page.evaluate(`(() => {
      const tokens = JSON.parse(sessionStorage.getItem('weft-console-tokens'));
      const [header, payload, signature] = tokens.accessToken.split('.');
      tokens.accessToken = [header, payload, (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1, -4) + 'AAAA'].join('.');
      sessionStorage.setItem('weft-console-tokens', JSON.stringify(tokens));
    })()`);
    await page.reload();
    await page.locator('.stream-status[data-state="live"]').waitFor({ timeout: 5000 });
    await tab('Systems');
    await page.locator('#panel-systems .card').first().waitFor({ timeout: 5000 });
    await page.waitForTimeout(1000);
    page.off('response', onResponse);
    expect(refreshes).toEqual([200]);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    expect(await page.locator('#panel-systems .error').count()).toBe(0);
  });

  /** Signs the admin in again when the page shows the sign-in form (a scenario before signed out). */
  async function signedInAsAdmin(): Promise<void> {
    if ((await page.getByRole('button', { name: 'Sign out' }).count()) === 0)
      await signIn('admin', env.WEFT_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  it('says why the server refused a filter, once, and streams again with one it takes', async () => {
    await signedInAsAdmin();
    await tab('Live events');
    const asked: string[] = [];
    const onRequest = (request: Request) => {
      if (new URL(request.url()).pathname === '/admin/events/stream') asked.push(request.url());
    };
    page.on('request', onRequest);
    const status = page.locator('.stream-status');
    // A type of another system than the one filtered: the route answers 422, whatever the number of tries.
    await page.getByLabel('Filter by system').fill('crafting');
    await page.getByLabel('Filter by type').fill('combat.encounter_resolved');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => status.getAttribute('data-state')).toBe('refused');
    expect(await status.getAttribute('role')).toBe('alert');
    expect(await status.textContent()).toMatch(/^The server refused the stream: .*combat\.encounter_resolved/);
    await page.waitForTimeout(2000);
    expect(asked).toHaveLength(1);
    page.off('request', onRequest);
    await shot('8-stream-filter-refused');
    await page.getByLabel('Filter by type').fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => status.getAttribute('data-state')).toBe('live');
    await sawPlanks(server.url, ann);
    await page
      .getByRole('row', { name: /crafting\.item_crafted/ })
      .first()
      .waitFor({ timeout: 5000 });
  });

  it('shows, after a filter applied while paused, only the events that filter asks for', async () => {
    await signedInAsAdmin();
    await tab('Live events');
    for (const field of ['system', 'type', 'character', 'correlation'])
      await page.getByLabel(`Filter by ${field}`).fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('.stream-status[data-state="live"]').waitFor();
    const pause = page.locator('#panel-live-events button[aria-pressed]');
    await pause.click();
    // Events of every system wait while paused (a craft: crafting, economy, character, state).
    await sawPlanks(server.url, ann);
    await expect.poll(() => pause.textContent()).toMatch(/^Resume \([1-9]/);
    await page.getByLabel('Filter by system').fill('crafting');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('.stream-status[data-state="live"]').waitFor();
    await sawPlanks(server.url, ann);
    await pause.click();
    // The filtered stream starts at the log's end when it connects, which the status line does not show: a craft made
    // before it connected is not its to show. Craft again until one shows (in CI the first craft came too early).
    const crafted = page.getByRole('row', { name: /crafting\.item_crafted/ });
    for (let tries = 0; tries < 5 && (await crafted.count()) === 0; tries++) {
      await sawPlanks(server.url, ann);
      await crafted
        .first()
        .waitFor({ timeout: 2000 })
        .catch(() => undefined);
    }
    await crafted.first().waitFor({ timeout: 5000 });
    const types = await page.locator('#panel-live-events tbody td.type').allTextContents();
    expect(types.filter((type) => !type.startsWith('crafting.'))).toEqual([]);
    await page.getByLabel('Filter by system').fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
  });

  it('reads a trace again when the same id is traced again', async () => {
    await signedInAsAdmin();
    await tab('Trace');
    const { requestId } = await sawPlanks(server.url, ann);
    const reads: string[] = [];
    const onRequest = (request: Request) => {
      if (new URL(request.url()).pathname.startsWith('/admin/trace/')) reads.push(request.url());
    };
    page.on('request', onRequest);
    await page.getByLabel('Correlation id to trace').fill(requestId);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await expect.poll(() => reads.length).toBe(1);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await expect.poll(() => reads.length).toBe(2);
    page.off('request', onRequest);
  });

  it('signs out: the session ends on the server too, not only in the tab', async () => {
    await signedInAsAdmin();
    const tokens = JSON.parse(String(await page.evaluate(`sessionStorage.getItem('weft-console-tokens')`))) as {
      accessToken: string;
      refreshToken: string;
    };
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    expect(await page.evaluate(`sessionStorage.getItem('weft-console-tokens')`)).toBeNull();
    const me = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(me.status).toBe(401);
    const refreshed = await fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: tokens.refreshToken }),
    });
    expect(refreshed.status).toBe(401);
  });
});
