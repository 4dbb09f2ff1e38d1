import { z } from 'zod';
import { DemoStepError, type DemoClient, type DemoRequest } from './demo-client.js';

// What the session reads of the answers: the fields each step checks, not the whole contract (that is the OpenAPI's).
const Tokens = z.looseObject({ accessToken: z.string().min(1) });
const Registered = z.looseObject({ userId: z.string(), username: z.string() });
const Character = z.looseObject({
  id: z.string(),
  name: z.string(),
  level: z.int(),
  xp: z.int(),
  hp: z.int(),
  region: z.string(),
  inventory: z.record(z.string(), z.int()),
});
type Character = z.infer<typeof Character>;
const Wallet = z.union([
  z.looseObject({ status: z.literal('open'), gold: z.int() }),
  z.looseObject({ status: z.literal('opening') }),
]);
const Encounter = z.looseObject({
  result: z.enum(['won', 'lost', 'draw']),
  xp: z.int(),
  gold: z.int(),
  hpLost: z.int(),
  loot: z.array(z.looseObject({ itemId: z.string(), count: z.int() })),
});
const Quests = z.looseObject({
  quests: z.array(z.looseObject({ questId: z.string(), name: z.string(), status: z.string() })),
});
const Claimed = z.looseObject({
  questId: z.string(),
  status: z.literal('rewarded'),
  rewards: z.looseObject({ gold: z.int(), xp: z.int() }),
});
const Choice = z.looseObject({ optionId: z.string(), startQuests: z.array(z.string()) });
const Travelled = z.looseObject({ from: z.string(), to: z.string() });
const Trade = z.looseObject({ gold: z.int(), total: z.int(), itemId: z.string(), quantity: z.int() });
const Crafted = z.looseObject({ itemId: z.string(), made: z.int(), fee: z.int(), gold: z.int() });
const Transfer = z.looseObject({
  from: z.looseObject({ gold: z.int() }),
  to: z.looseObject({ gold: z.int() }),
});

/** The demo's two players, by the names the session gives them. */
export interface SessionNames {
  /** The warrior who fights, takes quests, crafts and trades. */
  readonly ann: string;
  /** The alchemist who brews and receives gold. */
  readonly bob: string;
}

/** What a session leaves for the report: the request id of the craft whose causal tree is shown. */
export interface SessionResult {
  readonly craftRequestId: string;
}

/** At most this many fights to win the slime quest's five: a warrior loses to a slime almost never. */
const MAX_FIGHTS = 15;
const PASSWORD = 'demo password of the session';

interface Hero {
  readonly name: string;
  readonly token: string;
  readonly id: string;
}

/**
 * One scripted session over the public API: two players register and create characters; Ann talks to Captain Ada
 * and takes the slime quest, fights slimes (loot), claims it, travels to Ironhill, takes Smith Bram's sword quest,
 * buys ore, smelts, saws, forges the sword (the craft whose trace is shown) and claims that quest; she sells her loot
 * and gives Bob gold; Bob brews a potion. `out` hears one line per step done; a step gone wrong throws DemoStepError.
 */
export async function playSession(
  client: DemoClient,
  names: SessionNames,
  out: (line: string) => void,
): Promise<SessionResult> {
  const ann = await newHero(client, names.ann, 'warrior', out);
  const bob = await newHero(client, names.bob, 'alchemist', out);

  await talk(client, ann, 'captain_ada', ['greet.0', 'troubles.0'], 'slime_cleanup', out);
  await waitForQuest(client, ann, 'slime_cleanup', 'active');
  await fightSlimes(client, ann, out);
  await waitForQuest(client, ann, 'slime_cleanup', 'completed');
  await claim(client, ann, 'slime_cleanup', out);
  // Smith Bram's quest wants level 2, which the claim's xp brings through events after the claim answers.
  await waitForLevel(client, ann, 2);

  const moved = await client.call(post(`${ann.name} travels`, ann, '/travel', { regionId: 'ironhill' }, Travelled));
  out(`${ann.name} travelled ${moved.body.from} -> ${moved.body.to}`);
  await talk(client, ann, 'smith_bram', ['greet.0', 'lesson.0'], 'forge_a_sword', out);
  await waitForQuest(client, ann, 'forge_a_sword', 'active');

  // Three copper bars (two ore and a coal each) and two planks (two wood): the sword takes three bars and a plank.
  for (const [itemId, quantity] of [
    ['copper_ore', 6],
    ['coal', 3],
    ['wood', 2],
  ] as const)
    await trade(client, ann, 'buy', itemId, quantity, out);
  await craft(client, ann, 'smelt_copper', 3, out);
  await craft(client, ann, 'saw_planks', 1, out);
  const sword = await craft(client, ann, 'forge_copper_sword', 1, out);
  await waitForQuest(client, ann, 'forge_a_sword', 'completed');
  await claim(client, ann, 'forge_a_sword', out);

  const loot = await character(client, ann, 'ann reads her bag');
  await trade(client, ann, 'sell', (loot.inventory.slime_gel ?? 0) > 0 ? 'slime_gel' : 'plank', 1, out);
  await trade(client, bob, 'buy', 'slime_gel', 1, out);
  await craft(client, bob, 'brew_healing_potion', 1, out);
  const given = await client.call(
    post(`${ann.name} gives ${bob.name} gold`, ann, `/transfer`, { toCharacterId: bob.id, gold: 10 }, Transfer),
  );
  out(
    `${ann.name} gave ${bob.name} 10 gold: ${ann.name} has ${given.body.from.gold}, ${bob.name} ${given.body.to.gold}`,
  );
  return { craftRequestId: sword };
}

/** Registers a player, signs in, creates a character and waits for its wallet to open. */
async function newHero(
  client: DemoClient,
  name: string,
  heroClass: string,
  out: (line: string) => void,
): Promise<Hero> {
  const username = name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await client.call({
    step: `${name} registers`,
    method: 'POST',
    path: '/auth/register',
    body: { username, password: PASSWORD },
    expect: 201,
    schema: Registered,
  });
  const tokens = await client.call({
    step: `${name} signs in`,
    method: 'POST',
    path: '/auth/login',
    body: { username, password: PASSWORD },
    expect: 200,
    schema: Tokens,
  });
  const token = tokens.body.accessToken;
  const created = await client.call({
    step: `${name} creates a character`,
    method: 'POST',
    path: '/characters',
    token,
    body: { name, class: heroClass },
    expect: 201,
    schema: Character,
  });
  const hero = { name, token, id: created.body.id };
  const gold = await walletGold(client, hero);
  out(
    `${name} registered and created a level ${created.body.level} ${heroClass} in ${created.body.region}: gold ${gold}`,
  );
  return hero;
}

/** The hero's gold, once the wallet is open (the economy opens it when it hears of the new character). */
async function walletGold(client: DemoClient, hero: Hero): Promise<number> {
  const wallet = await client.poll(
    { ...get(`${hero.name} reads the wallet`, `/characters/${hero.id}/wallet`, hero.token, Wallet) },
    (body) => body.status === 'open',
    'the wallet opening',
  );
  if (wallet.status !== 'open') throw new DemoStepError(`${hero.name} reads the wallet`, 'the wallet is not open');
  return wallet.gold;
}

function get<T>(step: string, path: string, token: string, schema: z.ZodType<T>): DemoRequest<T> {
  return { step, method: 'GET', path, token, expect: 200, schema };
}

/** A hero's POST to one of its character's routes (`/characters/<id><path>`), expecting `expect`. */
function post<T>(
  step: string,
  hero: Hero,
  path: string,
  body: unknown,
  schema: z.ZodType<T>,
  expect = 200,
): DemoRequest<T> {
  return { step, method: 'POST', path: `/characters/${hero.id}${path}`, token: hero.token, body, expect, schema };
}

async function character(client: DemoClient, hero: Hero, step: string): Promise<Character> {
  return (await client.call(get(step, `/characters/${hero.id}`, hero.token, Character))).body;
}

/** Walks a conversation through `options`; the last one must start `questId`. */
async function talk(
  client: DemoClient,
  hero: Hero,
  npcId: string,
  options: readonly string[],
  questId: string,
  out: (line: string) => void,
): Promise<void> {
  let started: readonly string[] = [];
  for (const optionId of options) {
    const chosen = await client.call(
      post(`${hero.name} talks to ${npcId}`, hero, `/dialogue/${npcId}`, { optionId }, Choice),
    );
    started = chosen.body.startQuests;
  }
  if (!started.includes(questId))
    throw new DemoStepError(
      `${hero.name} talks to ${npcId}`,
      `the last option started [${started.join(', ')}], not ${questId}`,
    );
  out(`${hero.name} talked to ${npcId} and took the quest ${questId}`);
}

/** Waits until the quest reaches `status` for the hero: quests hear of kills, crafts and talks through events. */
async function waitForQuest(client: DemoClient, hero: Hero, questId: string, status: string): Promise<void> {
  await client.poll(
    get(`${hero.name} waits for ${questId} to be ${status}`, `/characters/${hero.id}/quests`, hero.token, Quests),
    (body) => body.quests.some((q) => q.questId === questId && q.status === status),
    `${questId} becoming ${status}`,
  );
}

/** Waits until the hero reaches `level`: xp from fights and quest rewards reaches the character through events. */
async function waitForLevel(client: DemoClient, hero: Hero, level: number): Promise<void> {
  await client.poll(
    get(`${hero.name} waits for level ${level}`, `/characters/${hero.id}`, hero.token, Character),
    (body) => body.level >= level,
    `level ${level}`,
  );
}

/** Fights slimes until five are won (the quest's count), within MAX_FIGHTS. */
async function fightSlimes(client: DemoClient, hero: Hero, out: (line: string) => void): Promise<void> {
  let won = 0;
  // Loot gold reaches the wallet through events after the fight answers: the fights end once it is all there, so
  // the steps after them see the wallet they should.
  let expected = await walletGold(client, hero);
  for (let fight = 1; won < 5; fight++) {
    if (fight > MAX_FIGHTS)
      throw new DemoStepError(`${hero.name} fights slimes`, `won ${won} of ${MAX_FIGHTS} fights, not 5`);
    const encounter = await client.call(
      post(`${hero.name} fights a slime`, hero, '/encounters', { monsterId: 'slime' }, Encounter, 201),
    );
    const { result, xp, gold, hpLost, loot } = encounter.body;
    if (result === 'won') won += 1;
    const items = loot.map((stack) => `${stack.count} ${stack.itemId}`).join(', ') || 'nothing';
    out(`${hero.name} fought a slime (#${fight}): ${result}, +${xp} xp, +${gold} gold, -${hpLost} hp, loot ${items}`);
    expected += gold;
  }
  await client.poll(
    get(`${hero.name} reads the wallet after the fights`, `/characters/${hero.id}/wallet`, hero.token, Wallet),
    (body) => body.status === 'open' && body.gold === expected,
    `the loot's ${expected} gold reaching the wallet`,
  );
}

async function claim(client: DemoClient, hero: Hero, questId: string, out: (line: string) => void): Promise<void> {
  const before = await walletGold(client, hero);
  const claimed = await client.call(
    post(`${hero.name} claims ${questId}`, hero, `/quests/${questId}/claim`, undefined, Claimed),
  );
  const after = await walletGold(client, hero);
  if (after !== before + claimed.body.rewards.gold)
    throw new DemoStepError(
      `${hero.name} claims ${questId}`,
      `gold went ${before} -> ${after}, not +${claimed.body.rewards.gold}`,
    );
  const now = await character(client, hero, `${hero.name} reads the character`);
  out(
    `${hero.name} claimed ${questId}: gold ${before} -> ${after}, +${claimed.body.rewards.xp} xp, level ${now.level}`,
  );
}

async function trade(
  client: DemoClient,
  hero: Hero,
  side: 'buy' | 'sell',
  itemId: string,
  quantity: number,
  out: (line: string) => void,
): Promise<void> {
  const before = await walletGold(client, hero);
  const traded = await client.call(
    post(`${hero.name} ${side}s ${itemId}`, hero, `/market/${side}`, { itemId, quantity }, Trade),
  );
  const expected = side === 'buy' ? before - traded.body.total : before + traded.body.total;
  if (traded.body.gold !== expected)
    throw new DemoStepError(`${hero.name} ${side}s ${itemId}`, `gold is ${traded.body.gold}, not ${expected}`);
  const verb = side === 'buy' ? 'bought' : 'sold';
  out(`${hero.name} ${verb} ${quantity} ${itemId}: gold ${before} -> ${traded.body.gold}`);
}

/** Crafts a recipe; returns the request id (the correlation id of everything the craft caused). */
async function craft(
  client: DemoClient,
  hero: Hero,
  recipeId: string,
  times: number,
  out: (line: string) => void,
): Promise<string> {
  const before = await walletGold(client, hero);
  const crafted = await client.call(
    post(`${hero.name} crafts ${recipeId}`, hero, `/craft`, { recipeId, times }, Crafted),
  );
  const { itemId, made, fee, gold } = crafted.body;
  if (gold !== before - fee)
    throw new DemoStepError(`${hero.name} crafts ${recipeId}`, `gold is ${gold}, not ${before} - fee ${fee}`);
  out(`${hero.name} crafted ${made} ${itemId}: gold ${before} -> ${gold}`);
  return crafted.requestId;
}
