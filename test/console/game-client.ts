// The game's public HTTP API as a player uses it, for the browser tests' setup (fetch over the real socket).

/** A signed-in player with a character. */
export interface PlayerCharacter {
  readonly token: string;
  readonly characterId: string;
}

async function call<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ body: T; requestId: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { body: JSON.parse(text) as T, requestId: response.headers.get('x-request-id') ?? '' };
}

/** Registers a player (the password is the tests' own) and signs in. */
export async function registerPlayer(base: string, username: string, password: string): Promise<string> {
  await call(base, 'POST', '/auth/register', { username, password });
  return (await call<{ accessToken: string }>(base, 'POST', '/auth/login', { username, password })).body.accessToken;
}

/** A warrior for the player, once its wallet is open (opened by the event its creation published). */
export async function createWarrior(base: string, token: string, name: string): Promise<PlayerCharacter> {
  const created = await call<{ id: string }>(base, 'POST', '/characters', { name, class: 'warrior' }, token);
  const characterId = created.body.id;
  for (let tries = 0; tries < 100; tries++) {
    const wallet = await call<{ status: string }>(base, 'GET', `/characters/${characterId}/wallet`, undefined, token);
    if (wallet.body.status === 'open') return { token, characterId };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the wallet of ${characterId} did not open`);
}

/** Buys two wood and saws planks: a craft with a fee. Answers the craft's x-request-id and when it was answered. */
export async function sawPlanks(
  base: string,
  who: PlayerCharacter,
): Promise<{ requestId: string; answeredAt: number }> {
  await call(base, 'POST', `/characters/${who.characterId}/market/buy`, { itemId: 'wood', quantity: 2 }, who.token);
  const craft = await call(base, 'POST', `/characters/${who.characterId}/craft`, { recipeId: 'saw_planks' }, who.token);
  return { requestId: craft.requestId, answeredAt: Date.now() };
}

/** Travels the character to a neighbouring region; answers the request's x-request-id. */
export async function travel(base: string, who: PlayerCharacter, regionId: string): Promise<string> {
  return (await call(base, 'POST', `/characters/${who.characterId}/travel`, { regionId }, who.token)).requestId;
}

/** Where the character is, as its player sees it. */
export async function regionOf(base: string, who: PlayerCharacter): Promise<string> {
  return (await call<{ region: string }>(base, 'GET', `/characters/${who.characterId}`, undefined, who.token)).body
    .region;
}
