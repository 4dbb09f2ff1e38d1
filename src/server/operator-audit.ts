import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** Methods that change nothing: an operator reading is not a change to keep a record of. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Keeps a record of every change asked of an admin route (a re-drive, a rollback, a level change, a
 * world tick): one line to the `operator` log naming who asked (the actor: an admin's account, the
 * admin token or this machine), what (method, route, path) and how it ended (status). A refused
 * attempt (401, 403) is a warning: someone without the right tried.
 */
export function auditOperatorAction(log: Logger, request: FastifyRequest, statusCode: number): void {
  if (request.routeOptions.config.access !== 'admin' || READS.has(request.method)) return;
  const actor = request.actor;
  const line = {
    ...(actor === undefined ? {} : { actor: { kind: actor.kind, id: actor.id, name: actor.name } }),
    method: request.method,
    route: request.routeOptions.url,
    path: request.url,
    statusCode,
  };
  if (statusCode === 401 || statusCode === 403) log.warn(line, 'operator action refused');
  else log.info(line, 'operator action');
}
