/** A refused or failed call, with the problem document's sentence when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  /** The problem document's members (RFC 9457), empty when the answer was not one. */
  readonly problem: Readonly<Record<string, unknown>>;

  constructor(status: number, message: string, problem: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** The tokens `POST /auth/login` answers. */
export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/**
 * Calls the server's admin routes as the signed-in operator: `Authorization: Bearer` on each call, and
 * one refresh of the tokens when the access token has expired (a 401), then the call again.
 */
export class Api {
  #tokens: Tokens;
  readonly #onTokens: (tokens: Tokens | undefined) => void;
  /** The refresh under way: calls refused at once share it (a refresh token works once; reused, the session ends). */
  #refreshing: Promise<boolean> | undefined;

  constructor(tokens: Tokens, onTokens: (tokens: Tokens | undefined) => void) {
    this.#tokens = tokens;
    this.#onTokens = onTokens;
  }

  /** The current access token (the event stream sends it itself). */
  get accessToken(): string {
    return this.#tokens.accessToken;
  }

  /** Signs in; a wrong password or an unknown account is an ApiError with the server's sentence. */
  static async signIn(username: string, password: string): Promise<Tokens> {
    return send<Tokens>('/auth/login', { method: 'POST', body: JSON.stringify({ username, password }) });
  }

  /** GET a route's JSON. */
  get<T>(path: string): Promise<T> {
    return this.#call<T>(path, { method: 'GET' });
  }

  /** POST to a route (no body unless given). */
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#call<T>(path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }

  /** DELETE a resource. */
  delete(path: string): Promise<void> {
    return this.#call<void>(path, { method: 'DELETE' });
  }

  /**
   * Trades the refresh token for new tokens, once for every call refused with the same access token: `stale` is the
   * access token the server refused; when the tokens were renewed since, the call only has to be sent again. False
   * (signed out) when the refresh token no longer works.
   */
  refresh(stale: string = this.#tokens.accessToken): Promise<boolean> {
    if (stale !== this.#tokens.accessToken) return Promise.resolve(true);
    this.#refreshing ??= this.#renew().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Signs out: the server ends the session (its refresh token and access tokens), then the tokens are forgotten. */
  async signOut(): Promise<void> {
    try {
      await send<unknown>('/auth/logout', { method: 'POST' }, this.#tokens.accessToken);
    } catch {
      // Already ended (expired, revoked) or the server is away: forgotten here all the same.
    }
    this.#onTokens(undefined);
  }

  async #renew(): Promise<boolean> {
    try {
      this.#tokens = await send<Tokens>('/auth/refresh', {
        method: 'POST',
        body: JSON.stringify({ refreshToken: this.#tokens.refreshToken }),
      });
      this.#onTokens(this.#tokens);
      return true;
    } catch {
      // The refresh token no longer works (expired, revoked, or the server refused): signed out, back to sign-in.
      this.#onTokens(undefined);
      return false;
    }
  }

  async #call<T>(path: string, init: RequestInit): Promise<T> {
    const token = this.#tokens.accessToken;
    try {
      return await send<T>(path, init, token);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && (await this.refresh(token)))
        return send<T>(path, init, this.#tokens.accessToken);
      throw error;
    }
  }
}

async function send<T>(path: string, init: RequestInit, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers }).catch((failure: unknown) => {
    // The browser's own words ("Failed to fetch") tell an operator nothing: the server is away or the network is.
    throw new Error(
      `The server could not be reached (${failure instanceof Error ? failure.message : String(failure)}).`,
    );
  });
  if (!response.ok) {
    const problem = await problemOf(response);
    throw new ApiError(response.status, detailOf(problem, response), problem);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The `detail` of a problem document, else the status line. */
export async function problemText(response: Response): Promise<string> {
  return detailOf(await problemOf(response), response);
}

/** The members of the problem document answered, or none when the body is not a JSON object (a proxy's page). */
async function problemOf(response: Response): Promise<Readonly<Record<string, unknown>>> {
  try {
    const problem: unknown = await response.json();
    if (typeof problem === 'object' && problem !== null && !Array.isArray(problem)) {
      return problem as Record<string, unknown>;
    }
  } catch {
    // Not JSON: the status line says enough.
  }
  return {};
}

function detailOf(problem: Readonly<Record<string, unknown>>, response: Response): string {
  return typeof problem.detail === 'string' ? problem.detail : `${response.status} ${response.statusText}`;
}
