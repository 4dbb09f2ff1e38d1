// Playing the game over HTTP as a player would, and reading back what a player can see of their characters.
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect } from 'vitest';
import { gameApp, type GameApp, type Player } from './http-harness.js';

/** What a player sees of one character: its gold, its inventory and its ledger lines. */
export interface Holdings {
  readonly gold: number;
  readonly inventory: Readonly<Record<string, number>>;
  readonly ledger: ReadonlyArray<{ movementId: string; amount: number; reason: string }>;
}

/** Fails with the answer's body when its status is not the one expected (a setup step that must work). */
export function expectStatus(answer: LightMyRequestResponse, status: number, what: string): LightMyRequestResponse {
  if (answer.statusCode !== status) throw new Error(`${what}: ${answer.statusCode} ${answer.body}`);
  return answer;
}

/** Creates a character over HTTP and waits for its wallet to open; returns its id. */
export async function createCharacter(game: GameApp, player: Player, name: string, cls: string): Promise<string> {
  const created = await game.request({
    method: 'POST',
    url: '/characters',
    headers: player.auth,
    payload: { name, class: cls },
  });
  const id = expectStatus(created, 201, `create ${name}`).json<{ id: string }>().id;
  // The wallet is opened by the event the creation published.
  await game.weft.events.drain();
  return id;
}

/** A character's gold, inventory and ledger, read through the routes its player calls. */
export async function holdings(game: GameApp, player: Player, id: string): Promise<Holdings> {
  const [wallet, character, ledger] = await Promise.all(
    [`/characters/${id}/wallet`, `/characters/${id}`, `/characters/${id}/ledger?limit=200`].map((url) =>
      game.request({ method: 'GET', url, headers: player.auth }),
    ),
  );
  const view = expectStatus(wallet!, 200, 'wallet').json<{ status: string; gold?: number }>();
  if (view.status !== 'open' || view.gold === undefined) throw new Error(`the wallet of ${id} is ${view.status}`);
  return {
    gold: view.gold,
    inventory: expectStatus(character!, 200, 'character').json<{ inventory: Record<string, number> }>().inventory,
    ledger: expectStatus(ledger!, 200, 'ledger')
      .json<{ lines: Array<{ movementId: string; amount: number; reason: string }> }>()
      .lines.map(({ movementId, amount, reason }) => ({ movementId, amount, reason })),
  };
}

/** The economy audit as the admin reads it: every wallet recomputed from the ledger. */
export async function audit(game: GameApp, admin: Player): Promise<{ balanced: boolean; mismatches: unknown[] }> {
  const answer = await game.request({ method: 'GET', url: '/admin/economy/audit', headers: admin.auth });
  return expectStatus(answer, 200, 'audit').json();
}

/** Every status of a batch of answers, counted: `{ 200: 1, 409: 99 }`. */
export function statusCounts(answers: readonly LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.statusCode] = (counts[answer.statusCode] ?? 0) + 1;
  return counts;
}

/** Whether an answer is an RFC 9457 problem document. */
export function isProblem(answer: LightMyRequestResponse): boolean {
  return /^application\/problem\+json/.test(String(answer.headers['content-type']));
}

/** A game with its admin and two players, Ann and Bob, signed in. */
export interface Table {
  readonly game: GameApp;
  readonly admin: Player;
  readonly ann: Player;
  readonly bob: Player;
}

/**
 * Starts a game per test (call it inside the test) and, after each test, checks that the economy
 * audit is balanced, then closes the game.
 */
export function auditedGame(options: Parameters<typeof gameApp>[0]): () => Promise<Table> {
  let table: Table | undefined;
  afterEach(async () => {
    const ended = table;
    table = undefined;
    if (ended === undefined) return;
    try {
      expect(await audit(ended.game, ended.admin)).toMatchObject({ balanced: true, mismatches: [] });
    } finally {
      await ended.game.close();
    }
  });
  return async () => {
    const game = await gameApp(options);
    table = { game, admin: await game.admin(), ann: await game.player('ann'), bob: await game.player('bob') };
    return table;
  };
}

/** A POST as `player`, with a JSON body when there is one. */
export function post(
  game: GameApp,
  player: Player,
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return game.request({
    method: 'POST',
    url,
    headers: { ...player.auth, ...headers },
    ...(payload === undefined ? {} : { payload }),
  });
}

/** Buys items at the market for a character (a setup step that must work). */
export async function buy(game: GameApp, player: Player, id: string, itemId: string, quantity: number): Promise<void> {
  expectStatus(await post(game, player, `/characters/${id}/market/buy`, { itemId, quantity }), 200, `buy ${itemId}`);
}
