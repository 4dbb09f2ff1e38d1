import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LogHorizon, RateLimitedError, type EventBus, type LoggedEvent } from '../integration/internal.js';
import {
  EventStreamQuery,
  eventStreamFilter,
  matchesStreamFilter,
  resumePosition,
  type EventStreamFilter,
} from './event-stream-filter.js';
import type { OperatorAccess } from './operator-access.js';

/** How the stream of events behaves; tests shorten the waits. */
export interface EventStreamOptions {
  /** How often the event log is read for new events, in ms. Default 250. */
  readonly pollMs?: number;
  /** How often a quiet stream sends a heartbeat (with its position), in ms. Default 15 000. */
  readonly heartbeatMs?: number;
  /** Streams open at once in this process; one more is a 429. Default 16. */
  readonly maxStreams?: number;
  /**
   * How often a quiet stream checks its caller's access again (the token's expiry, its session, the admin role), in
   * ms; a stream whose caller no longer passes ends. Events are sent only after a check made since they were read.
   * Default 5000.
   */
  readonly accessCheckMs?: number;
}

/** Events read from the log per query: a burst is sent in pages, never loaded whole. */
const PAGE = 200;
/** How long a client waits before reconnecting a stream that dropped (the SSE `retry` field), in ms. */
const RECONNECT_MS = 1000;

/** The streams open on each app, so a shutting-down server can end them before draining connections. */
const openStreams = new WeakMap<FastifyInstance['server'], Set<ServerResponse>>();

/**
 * `GET /admin/events/stream` (operators): the events of the event log as they commit, as Server-Sent
 * Events. Each event is `id: <seq>` `event: event` `data: { seq, envelope }`; a quiet stream sends
 * `event: heartbeat` with its position. It reads the log by position, so it sees the events of every
 * process on the database. Authenticated like every operator route, with `Authorization: Bearer`: the
 * console reads it with `fetch` and a stream reader, not `EventSource` (which cannot send that header).
 */
export function registerEventStreamRoute(
  app: FastifyInstance,
  access: OperatorAccess,
  events: Pick<EventBus, 'log'>,
  options: EventStreamOptions = {},
): void {
  const pollMs = options.pollMs ?? 250;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxStreams = options.maxStreams ?? 16;
  const accessCheckMs = options.accessCheckMs ?? 5000;
  // On PostgreSQL a horizon read holds publishers off for a moment: the open streams share each one.
  const horizons = new LogHorizon(events.log);
  const open = new Set<ServerResponse>();
  openStreams.set(app.server, open);
  // Before the server closes, or it would wait for streams that never end.
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end();
    done();
  });
  app.withTypeProvider<ZodTypeProvider>().get(
    '/admin/events/stream',
    {
      ...access.guard,
      // Past maxStreams open streams: a 429 with Retry-After (the OpenAPI document lists it).
      config: { ...access.guard.config, limited: true },
      schema: {
        summary:
          'Events as they commit (Server-Sent Events; filters: system, type, characterId, correlationId; resume: Last-Event-ID or since)',
        tags: ['operator'],
        security: [{ bearer: [] }],
        produces: ['text/event-stream'],
        querystring: EventStreamQuery,
        response: { 200: z.string().describe('text/event-stream: `event` and `heartbeat` messages') },
      },
    },
    async (request, reply) => {
      const filter = eventStreamFilter(request.query);
      const resumed = resumePosition(request.headers['last-event-id'], request.query.since);
      if (open.size >= maxStreams) {
        throw new RateLimitedError(`${maxStreams} event streams are open already; close one or try again later.`, {
          retryAfterSeconds: 5,
        });
      }
      const start = resumed ?? (await horizons.read());
      // From here the stream writes to the socket itself; Fastify's reply is done with.
      reply.hijack();
      const raw = reply.raw;
      // What the hooks set so far (security headers, CORS, the request id) goes out with the stream.
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) raw.setHeader(name, value);
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // Proxies (nginx) would otherwise hold the events back in a buffer.
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: ${RECONNECT_MS}\n\n`);
      open.add(raw);
      raw.on('close', () => open.delete(raw));
      // The guard ran once, at the open: a stream would live on past a sign-out, a revoked session, an expired token or
      // a lost admin role unless the caller is judged again while it is open.
      const stillAllowed = (): Promise<boolean> =>
        access.requireOperator(request, reply).then(
          () => true,
          () => false,
        );
      void pump(
        raw,
        { log: events.log, horizons },
        filter,
        start,
        { pollMs, heartbeatMs, accessCheckMs },
        request.log,
        stillAllowed,
      );
    },
  );
}

/** Ends every event stream of the app (a shutting-down server calls it before draining connections). */
export function endEventStreams(app: FastifyInstance): void {
  for (const raw of openStreams.get(app.server) ?? []) raw.end();
}

/** Reads the log after `from` and writes what passes the filter, until the client goes or the write fails. */
async function pump(
  raw: ServerResponse,
  events: { readonly log: EventBus['log']; readonly horizons: LogHorizon },
  filter: EventStreamFilter,
  from: number,
  timing: { pollMs: number; heartbeatMs: number; accessCheckMs: number },
  log: FastifyBaseLogger,
  stillAllowed: () => Promise<boolean>,
): Promise<void> {
  let position = from;
  let lastWrite = Date.now();
  let lastAccessCheck = Date.now();
  const send = (text: string): void => {
    raw.write(text);
    lastWrite = Date.now();
  };
  /** Judges the caller again; ends the stream when they no longer pass. */
  const allowed = async (): Promise<boolean> => {
    lastAccessCheck = Date.now();
    if (await stillAllowed()) return true;
    log.info({ position }, 'event stream ended: its caller no longer has access');
    raw.end();
    return false;
  };
  send(heartbeat(position));
  try {
    while (!raw.destroyed && !raw.writableEnded) {
      // Read up to the log's horizon (its end as it is now, where nothing lower will still commit): once caught up, the
      // position is that end, past the events of other types too, so heartbeats carry it and a resume does not read
      // them again.
      const end = await events.horizons.read();
      const page: LoggedEvent[] = await events.log.readAfter(position, filter.pattern, PAGE, end);
      // Judged again after the read and before any of it is sent: what committed after a sign-out (or a revoked
      // session, an expired token, a lost role) never reaches the stream.
      if (page.some((event) => matchesStreamFilter(filter, event.envelope)) && !(await allowed())) return;
      for (const event of page) {
        position = event.seq;
        if (matchesStreamFilter(filter, event.envelope)) send(eventMessage(event));
      }
      if (page.length === PAGE) continue;
      position = Math.max(position, end);
      // A quiet stream is judged too, so that it does not stay open for a caller who left.
      if (Date.now() - lastAccessCheck >= timing.accessCheckMs && !(await allowed())) return;
      // Filtered-out events move the position too; the heartbeat carries it, so a resume skips them.
      if (Date.now() - lastWrite >= timing.heartbeatMs) send(heartbeat(position));
      await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
    }
  } catch (error) {
    // The database went (a restart, a shutdown): the client reconnects and resumes from its last id.
    log.warn({ err: error, position }, 'event stream ended: the event log could not be read');
    raw.end();
  }
}

function eventMessage(event: LoggedEvent): string {
  return `id: ${event.seq}\nevent: event\ndata: ${JSON.stringify({ seq: event.seq, envelope: event.envelope })}\n\n`;
}

function heartbeat(position: number): string {
  return `id: ${position}\nevent: heartbeat\ndata: ${JSON.stringify({ seq: position })}\n\n`;
}
