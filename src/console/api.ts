/** A refused or failed call, with the problem document's sentence when the server sent one. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
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

  /** Trades the refresh token for new tokens; undefined (signed out) when it no longer works. */
  async refresh(): Promise<boolean> {
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
    try {
      return await send<T>(path, init, this.#tokens.accessToken);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && (await this.refresh()))
        return send<T>(path, init, this.#tokens.accessToken);
      throw error;
    }
  }
}

async function send<T>(path: string, init: RequestInit, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) throw new ApiError(response.status, await problemText(response));
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The `detail` of a problem document, else the status line. */
async function problemText(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
  } catch {
    // Not JSON (a proxy's page): the status line says enough.
  }
  return `${response.status} ${response.statusText}`;
}
