import type { IncomingMessage } from 'node:http';
import { uuidv7 } from '../integration/internal.js';

/** What a caller's correlation id may be: short, and safe in a header, a log line and a URL. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `x-correlation-id` (else its `x-request-id`) when it is 1 to 128 characters of
 * `[A-Za-z0-9._:-]`, else a new UUIDv7. It is echoed in a header and written on every log line of the
 * request, so anything longer or stranger (15 KB of HTML was sent) is not taken.
 */
export function correlationIdOf(request: IncomingMessage): string {
  // `x-request-id` too: proxies and clients that make their own ids (nginx's $request_id, many SDKs) send that one.
  for (const given of [request.headers['x-correlation-id'], request.headers['x-request-id']]) {
    if (typeof given === 'string' && CORRELATION_ID.test(given)) return given;
  }
  // Time-ordered: the id is indexed beside every history row and event the request writes, and a random one put each
  // of them on a page of its own in those indexes (`npm run bench -- transfer`).
  return uuidv7();
}
