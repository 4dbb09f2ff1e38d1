import { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long shutdown waits for open connections. */
export interface DrainOptions {
  /** How long an idle keep-alive connection may stay open for its client's next request. Default 2000. */
  readonly idleGraceMs?: number;
  /** How long requests still running after that may take before their connections are cut. Default 10 000. */
  readonly requestGraceMs?: number;
}

/** Lets a listening app's connections go without resetting a request a client has sent. */
export interface Drain {
  /** Stops accepting, then resolves once every open connection has ended. Call before `app.close()`. */
  close(): Promise<void>;
}

/**
 * Shutdown without resets. Node's `server.close()` destroys idle keep-alive connections at once, and
 * a client that has just sent a request on one sees ECONNRESET. Instead: stop accepting (new
 * connections are refused), answer every request from then on with `Connection: close` so each
 * client hangs up after its answer, close the connections still idle after `idleGraceMs`, and cut
 * the ones whose requests outlive `requestGraceMs` (logged). Adds an `onSend` hook: call before
 * the app is ready.
 */
export function drainConnections(app: FastifyInstance, options: DrainOptions = {}): Drain {
  const idleGraceMs = options.idleGraceMs ?? 2000;
  const requestGraceMs = options.requestGraceMs ?? 10_000;
  let draining = false;
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  let closed: Promise<void> | undefined;
  return {
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        draining = true;
        const server = app.server;
        const timers = [
          setTimeout(() => server.closeIdleConnections(), idleGraceMs),
          setTimeout(() => {
            server.getConnections((error, count) => {
              if (error !== null) app.log.error({ err: error }, 'could not count open connections');
              else app.log.warn({ connections: count }, `requests still running after ${requestGraceMs} ms: cut`);
              server.closeAllConnections();
            });
          }, idleGraceMs + requestGraceMs),
        ];
        // net.Server's close, not http.Server's: the latter destroys idle keep-alive connections first.
        NetServer.prototype.close.call(server, () => {
          for (const timer of timers) clearTimeout(timer);
          resolve();
        });
      });
      return closed;
    },
  };
}
