import { AsyncResource } from 'node:async_hooks';

/**
 * The async context handlers run in: the one of this module's loading, where no command, transaction or request is
 * open. A delivery is woken from the commit of whoever published (its afterCommit, a setImmediate after it); without
 * this its handlers would inherit that caller's command context, and the commands they run would act as the player
 * who happened to wake them (a 404 "no character of yours" on another player's character, then a dead letter), or as
 * an admin.
 */
const HANDLER_SCOPE = new AsyncResource('WeftEventHandlers');

/** Runs `work` in the handlers' own async context: no caller's command, transaction or request. */
export function detached<T>(work: () => T): T {
  return HANDLER_SCOPE.runInAsyncScope(work);
}
