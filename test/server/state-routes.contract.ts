import { afterEach, describe, expect, it } from 'vitest';
import type { LoggerOptions } from 'weft/internal';
import type { TestIntegrationOptions } from 'weft/testing';
import { gameApp, type GameApp, type Player } from '../game/http-harness.js';
import { createCharacter, expectStatus } from '../game/http-play.js';

interface Version {
  system: string;
  key: string;
  version: number;
  kind: string;
  value: { region?: string; inventory?: Record<string, number> } | null;
  transactionId: string;
}

/**
 * The operator's state routes on one backend, used as an operator would: find what a player's request
 * changed (by its x-request-id), read the entry's history, undo the request, put an entry back to a
 * version; refusals change nothing, and every change asked is in the operator log with who asked.
 */
export function stateRoutesContract(name: string, options: TestIntegrationOptions): void {
  describe(`operator state routes: ${name}`, () => {
    let game: GameApp;
    afterEach(async () => {
      await game.close();
    });

    async function travel(player: Player, id: string, regionId: string): Promise<string> {
      const answer = await game.request({
        method: 'POST',
        url: `/characters/${id}/travel`,
        headers: player.auth,
        payload: { regionId },
      });
      await game.weft.events.drain();
      return String(expectStatus(answer, 200, `travel to ${regionId}`).headers['x-request-id']);
    }

    const as = (who: Player) => ({
      get: (url: string) => game.request({ method: 'GET', url, headers: who.auth }),
      post: (url: string, payload?: object) =>
        game.request({ method: 'POST', url, headers: who.auth, ...(payload === undefined ? {} : { payload }) }),
    });

    /** The game with Ann's warrior Mira, and the admin signed in as the operator. */
    async function play(logger?: LoggerOptions) {
      game = await gameApp({ ...options, ...(logger === undefined ? {} : { logger }) });
      const [ann, admin] = [await game.player('ann'), await game.admin()];
      const mira = await createCharacter(game, ann, 'Mira', 'warrior');
      return { ann, admin, operator: as(admin), mira, entryUrl: `/admin/state/entries/character.characters/${mira}` };
    }

    it('finds the transaction of a request by its trace, rolls it back, and puts an entry back to a version', async () => {
      const { ann, operator, mira, entryUrl } = await play();
      const request = await travel(ann, mira, 'oakwood');

      const trace = expectStatus(await operator.get(`/admin/trace/${request}`), 200, 'trace').json<{
        stateChanges: Version[];
      }>();
      const moved = trace.stateChanges.find((c) => c.system === 'character.characters' && c.key === mira);
      expect(moved).toMatchObject({ version: 2, value: { region: 'oakwood' } });
      const written = expectStatus(
        await operator.get(`/admin/state/transactions/${moved!.transactionId}`),
        200,
        'tx',
      ).json<{ transactionId: string; changes: Version[] }>();
      expect(written.changes).toContainEqual(expect.objectContaining({ system: 'character.characters', key: mira }));

      const undone = expectStatus(
        await operator.post(`/admin/state/transactions/${moved!.transactionId}/rollback`),
        200,
        'undo',
      ).json<{ transactionId: string; revertedTransactionId: string; reverted: Version[] }>();
      expect(undone.revertedTransactionId).toBe(moved!.transactionId);
      expect(undone.transactionId).not.toBe(moved!.transactionId);
      expect(undone.reverted).toContainEqual(
        expect.objectContaining({ system: 'character.characters', key: mira, version: 3, kind: 'rollback' }),
      );
      // The player sees their character back where it was.
      const seen = expectStatus(await as(ann).get(`/characters/${mira}`), 200, 'character').json<{
        region: string;
      }>();
      expect(seen.region).toBe('greenvale');

      const entry = expectStatus(await operator.get(entryUrl), 200, 'entry').json<{
        current: Version;
        history: Version[];
      }>();
      expect(entry.current).toMatchObject({ system: 'character.characters', key: mira, version: 3 });
      expect(entry.history.map((v) => [v.version, v.kind, v.value?.region])).toEqual([
        [1, 'set', 'greenvale'],
        [2, 'set', 'oakwood'],
        [3, 'rollback', 'greenvale'],
      ]);

      const back = expectStatus(
        await operator.post(`${entryUrl}/rollback`, { toVersion: 2 }),
        200,
        'to v2',
      ).json<Version>();
      expect(back).toMatchObject({
        system: 'character.characters',
        key: mira,
        version: 4,
        value: { region: 'oakwood' },
      });
    });

    it('refuses a rollback over later changes unless forced, and one of the ledger-kept wallets always', async () => {
      const { ann, operator, mira, entryUrl } = await play();
      await travel(ann, mira, 'oakwood');
      await travel(ann, mira, 'misty_marsh');
      const history = () => operator.get(entryUrl).then((answer) => answer.json<{ history: Version[] }>().history);
      const [, first] = await history();
      const before = await history();

      const conflict = await operator.post(`/admin/state/transactions/${first!.transactionId}/rollback`, {});
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json<{ code: string; detail: string }>()).toMatchObject({
        code: 'WEFT_CONFLICT',
        detail: expect.stringContaining(`later changes touched character.characters/${mira}`) as unknown,
        // What a script or the console acts on: the entry, the version the transaction wrote, and the current one.
        conflicts: [
          { system: 'character.characters', key: mira, version: first!.version, current: first!.version + 1 },
        ],
      });
      expect(await history()).toEqual(before);
      const forced = await operator.post(`/admin/state/transactions/${first!.transactionId}/rollback`, { force: true });
      expect(forced.statusCode).toBe(200);
      expect((await history()).at(-1)).toMatchObject({
        version: 4,
        kind: 'rollback',
        value: { region: 'greenvale' },
      });

      // Buying moves gold (the wallet, kept with its ledger) and the bag in one transaction: neither goes back.
      const bought = await game.request({
        method: 'POST',
        url: `/characters/${mira}/market/buy`,
        headers: { ...ann.auth, 'idempotency-key': 'buy-1' },
        payload: { itemId: 'wood', quantity: 1 },
      });
      await game.weft.events.drain();
      const purchase = (
        await operator.get(`/admin/trace/${String(expectStatus(bought, 200, 'buy').headers['x-request-id'])}`)
      )
        .json<{ stateChanges: Version[] }>()
        .stateChanges.find((c) => c.system === 'economy.wallets');
      const walletUrl = `/admin/state/entries/economy.wallets/${mira}`;
      const wallet = (await operator.get(walletUrl)).json<unknown>();
      for (const refused of [
        await operator.post(`/admin/state/transactions/${purchase!.transactionId}/rollback`),
        await operator.post(`${walletUrl}/rollback`, { toVersion: 1 }),
      ]) {
        expect(refused.statusCode).toBe(409);
        expect(refused.json()).toMatchObject({
          code: 'WEFT_CONFLICT',
          detail: expect.stringContaining('economy.wallets is kept in step with records') as unknown,
          keptSlices: ['economy.wallets'],
        });
        expect(refused.json()).not.toHaveProperty('conflicts');
      }
      expect((await operator.get(walletUrl)).json()).toEqual(wallet);
      expect((await history()).at(-1)?.value?.inventory).toMatchObject({ wood: 1 });
    });

    it('answers bad input with a problem document and changes nothing', async () => {
      const { ann, operator, mira, entryUrl } = await play();
      const before = (await operator.get(entryUrl)).json<unknown>();
      const cases: Array<[Promise<{ statusCode: number; json: () => unknown }>, number, string]> = [
        [operator.get(`/admin/state/entries/no_such.slice/${mira}`), 404, 'WEFT_NOT_FOUND'],
        [operator.get('/admin/state/entries/character.characters/nobody'), 404, 'WEFT_NOT_FOUND'],
        [operator.get(`/admin/state/entries/Not-A-Slice/${mira}`), 422, 'WEFT_VALIDATION'],
        [operator.post(`${entryUrl}/rollback`, { toVersion: 0 }), 422, 'WEFT_VALIDATION'],
        [operator.post(`${entryUrl}/rollback`, { toVersion: 1.5 }), 422, 'WEFT_VALIDATION'],
        [operator.post(`${entryUrl}/rollback`, { toVersion: 1, extra: true }), 422, 'WEFT_VALIDATION'],
        [operator.post(`${entryUrl}/rollback`, { toVersion: 99 }), 404, 'WEFT_NOT_FOUND'],
        // No body on a route that takes one is a 400 saying so, as on the game's routes, not a 422 about a null.
        [operator.post(`${entryUrl}/rollback`), 400, 'WEFT_BAD_REQUEST'],
        [operator.get('/admin/state/transactions/no-such-transaction'), 404, 'WEFT_NOT_FOUND'],
        [operator.post('/admin/state/transactions/no-such-transaction/rollback'), 404, 'WEFT_NOT_FOUND'],
        [operator.post('/admin/state/transactions/x/rollback', { force: 'yes' }), 422, 'WEFT_VALIDATION'],
      ];
      for (const [answer, status, code] of cases) {
        const got = await answer;
        expect([got.statusCode, got.json()]).toEqual([status, expect.objectContaining({ status, code })]);
      }
      expect((await operator.get(entryUrl)).json()).toEqual(before);
      expect((await as(ann).get(entryUrl)).statusCode).toBe(403);
    });

    it('answers an unknown slice with a 404 that names it in the route’s terms, not a call to make in code', async () => {
      const { operator, mira } = await play();
      for (const url of [
        `/admin/state/entries/no_such.slice/${mira}`,
        `/admin/state/entries/no_such.slice/${mira}/rollback`,
      ]) {
        const got = url.endsWith('/rollback') ? await operator.post(url, { toVersion: 1 }) : await operator.get(url);
        expect([got.statusCode, got.json()]).toEqual([
          404,
          expect.objectContaining({
            code: 'WEFT_NOT_FOUND',
            detail: 'No state slice is named no_such.slice (a system declares its own with sys.state.slice).',
          }),
        ]);
      }
    });

    it('writes each change asked of an admin route to the operator log, with who asked', async () => {
      const lines: Array<Record<string, unknown>> = [];
      const { ann, admin, operator, mira, entryUrl } = await play({
        level: 'silent',
        systemLevels: { operator: 'info' },
        destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      });
      await travel(ann, mira, 'oakwood');
      expectStatus(await operator.post(`${entryUrl}/rollback`, { toVersion: 1 }), 200, 'rollback');
      expect((await as(ann).post(`${entryUrl}/rollback`, { toVersion: 2 })).statusCode).toBe(403);
      expect((await game.request({ method: 'POST', url: `${entryUrl}/rollback`, payload: {} })).statusCode).toBe(401);
      // Reads are not changes: no line.
      await operator.get(entryUrl);

      expect(lines.filter((line) => line.system === 'operator')).toEqual([
        expect.objectContaining({
          msg: 'operator action',
          actor: { kind: 'user', id: admin.userId, name: 'admin' },
          method: 'POST',
          route: '/admin/state/entries/:slice/:key/rollback',
          path: `${entryUrl}/rollback`,
          statusCode: 200,
        }),
        expect.objectContaining({
          msg: 'operator action refused',
          actor: expect.objectContaining({ kind: 'user', id: ann.userId }) as unknown,
          statusCode: 403,
        }),
        expect.not.objectContaining({ actor: expect.anything() as unknown }),
      ]);
      // A refused attempt is a warning, which operators also find in /logs/recent.
      const recent = expectStatus(await operator.get('/logs/recent'), 200, 'recent logs').json<{
        lines: Array<{ system?: string; msg: string; level: string }>;
      }>();
      expect(recent.lines.filter((line) => line.system === 'operator')).toEqual([
        expect.objectContaining({ msg: 'operator action refused', level: 'warn' }),
        expect.objectContaining({ msg: 'operator action refused', level: 'warn' }),
      ]);
    });
  });
}
