import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { WeftError } from '../integration/internal.js';

/** A demo step that did not get the answer it should: the step, and what came back instead. */
export class DemoStepError extends WeftError {
  constructor(step: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('WEFT_INTERNAL', `step "${step}": ${message}`, { details: { step, ...details } });
    this.name = 'DemoStepError';
  }
}

/** One request of a step: the route, who asks, what is sent, and the status that is right. */
export interface DemoRequest<T> {
  readonly step: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly token?: string | undefined;
  readonly body?: unknown;
  readonly expect: number;
  /** The shape the answer must have. */
  readonly schema: z.ZodType<T>;
}

/** An answer, with the request id the server gave it (the correlation id of what it caused). */
export interface DemoAnswer<T> {
  readonly body: T;
  readonly requestId: string;
}

/** The demo's HTTP client: only the public API, through fetch; any other status or shape is a DemoStepError. */
export class DemoClient {
  readonly #base: string;

  constructor(baseUrl: string) {
    this.#base = baseUrl.replace(/\/+$/, '');
  }

  /** Sends one request and checks its status and body; a POST carries a fresh Idempotency-Key, as it should. */
  async call<T>(request: DemoRequest<T>): Promise<DemoAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.method === 'POST') headers['idempotency-key'] = randomUUID();
    let response: Response;
    try {
      response = await fetch(`${this.#base}${request.path}`, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
    } catch (cause) {
      throw new DemoStepError(request.step, `${request.method} ${request.path} got no answer: ${String(cause)}`);
    }
    const text = await response.text();
    if (response.status !== request.expect) {
      throw new DemoStepError(
        request.step,
        `${request.method} ${request.path} answered ${response.status}, not ${request.expect}: ${text.slice(0, 500)}`,
        { status: response.status },
      );
    }
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : (JSON.parse(text) as unknown);
    } catch {
      throw new DemoStepError(
        request.step,
        `${request.method} ${request.path} answered text, not JSON: ${text.slice(0, 200)}`,
      );
    }
    const parsed = request.schema.safeParse(json);
    if (!parsed.success) {
      throw new DemoStepError(
        request.step,
        `${request.method} ${request.path} answered an unexpected body (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}): ${text.slice(0, 300)}`,
      );
    }
    return { body: parsed.data, requestId: response.headers.get('x-request-id') ?? '' };
  }

  /**
   * Asks until `done` holds for the answer, at most `attempts` times, waiting a little longer each time: events are
   * handled after their request commits, so their effects show a moment later.
   */
  async poll<T>(request: DemoRequest<T>, done: (body: T) => boolean, what: string, attempts = 60): Promise<T> {
    let last: T | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      last = (await this.call(request)).body;
      if (done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, Math.min(20 * 2 ** attempt, 250)));
    }
    throw new DemoStepError(request.step, `${what} did not happen after ${attempts} reads`, { last });
  }
}
