// Group commit: on a backend with one writer (SQLite), top-level write transactions that queue up behind the one
// running share one physical transaction. Each member runs alone and in turn in its own savepoint; the group ends with
// one COMMIT, so one flush to disk serves them all. Nobody is settled before that COMMIT returns. A member that
// waits for anything but the database leaves its group (see `runMember`) and runs again alone (docs/database.md).
import { AsyncResource } from 'node:async_hooks';
import { CompiledQuery, type DatabaseConnection } from 'kysely';
import type { DatabaseLogger } from './options.js';
import type { DeferredFlush } from './transaction-options.js';

/** One caller's transaction, as the group runs it. */
export interface GroupMember<R> {
  readonly durability: 'full' | 'deferred';
  /**
   * The work with no BEGIN or COMMIT of its own: the group wraps it in a savepoint. When `exit` asks it to leave, the
   * work is abandoned (as by its own `signal`), hands `exit` its still running code, and rejects with `exit`'s reason.
   */
  readonly work: (connection: DatabaseConnection, exit: GroupExit | undefined) => Promise<R>;
  /** The whole transaction (BEGIN to COMMIT), for a member that finds nobody to share with. */
  readonly alone: (connection: DatabaseConnection) => Promise<R>;
  /** Called once a group took it: it no longer waits for the connection. */
  readonly taken: () => void;
}

/** What `CommitGroups` needs from the unit of work. */
export interface CommitGroupSettings {
  /** Lends the connection for the duration of `consumer` (the pool's provideConnection). */
  readonly provideConnection: (consumer: (connection: DatabaseConnection) => Promise<void>) => Promise<void>;
  /** The BEGIN of a write transaction: only members that would send this very statement share a group. */
  readonly begin: CompiledQuery;
  readonly deferredFlush: DeferredFlush;
  /** Most members in one group. */
  readonly maxSize: number;
  /** Rolls the connection's transaction back, logging (not throwing) a failed rollback. */
  readonly rollback: (connection: DatabaseConnection, reason: unknown) => Promise<void>;
  readonly logger: DatabaseLogger;
}

interface Queued {
  readonly member: GroupMember<unknown>;
  /** Runs in a group of its own: it left a group, where it waited for something past a turn of the event loop. */
  readonly alone: boolean;
  /** Settles once the code of its abandoned try has finished: its next try waits for it, so the two never overlap. */
  readonly after?: Promise<unknown>;
  /** The caller's async context: its work runs there, not in the context of whoever started the group. */
  readonly context: AsyncResource;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The queue of write transactions waiting for the connection. No timer: a group is whoever is waiting when the
 * connection frees up, at most `maxSize`; those arriving while it runs form the next one.
 */
export class CommitGroups {
  readonly begin: CompiledQuery;
  readonly #settings: CommitGroupSettings;
  readonly #queue: Queued[] = [];
  /** A runner waits for the connection and will take what is queued; no second one is needed. */
  #starting = false;

  constructor(settings: CommitGroupSettings) {
    this.#settings = settings;
    this.begin = settings.begin;
  }

  /** Queues `member`; settles once its group committed (with its result) or once it failed. */
  run<R>(member: GroupMember<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({
        member,
        alone: false,
        context: new AsyncResource('WeftCommitGroupMember'),
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.#starting) {
        // The first of a group starts once the event loop has taken in what already arrived (setImmediate runs after
        // the I/O callbacks of this turn), not at once: a request's transaction runs through to its COMMIT without
        // yielding, so started at once each would commit alone, and 50 HTTP clients would wait for 50 flushes in a row
        // (npm run bench -- transfer, weft-minimal: 4,075 commits for 4,075 transfers before, one per group after).
        this.#starting = true;
        setImmediate(() => this.#start());
      }
    });
  }

  #start(): void {
    this.#starting = true;
    let entered = false;
    let settle: Array<() => void> = [];
    this.#settings
      .provideConnection(async (connection) => {
        entered = true;
        settle = await this.#runNext(connection);
      })
      .then(
        () => settleAll(settle),
        (error: unknown) => {
          if (entered) {
            // The group ran; only handing the connection back failed. Its members' outcomes stand.
            this.#settings.logger.error({ err: error }, 'releasing the connection after a commit group failed');
            settleAll(settle);
            return;
          }
          // No connection: whoever this runner would have taken fails, as a lone transaction would.
          this.#starting = false;
          for (const queued of this.#queue.splice(0)) {
            queued.member.taken();
            queued.reject(error);
          }
        },
      );
  }

  /** Takes the next group off the queue and runs it; returns how to settle each member, once the connection is back. */
  async #runNext(connection: DatabaseConnection): Promise<Array<() => void>> {
    // A member that left its group runs again only once its abandoned try's code is over (it is refused the database,
    // so this wait holds the connection no longer than the try would have).
    await this.#queue[0]?.after;
    this.#starting = false;
    const batch = this.#take();
    // The next group waits for the connection behind this one (and behind whoever else asked for it meanwhile).
    if (this.#queue.length > 0) this.#start();
    for (const queued of batch) queued.member.taken();
    const [only] = batch;
    if (only !== undefined && batch.length === 1) {
      // Nobody to share with: the plain transaction, without the savepoint's cost.
      try {
        const outcome = await only.context.runInAsyncScope(() => only.member.alone(connection));
        return [() => only.resolve(outcome)];
      } catch (error) {
        return [() => only.reject(error)];
      }
    }
    return this.#runGroup(connection, batch);
  }

  /** The next group: the head of the queue alone when it must be, else up to maxSize members that may share. */
  #take(): Queued[] {
    if (this.#queue[0]?.alone === true) return this.#queue.splice(0, 1);
    let size = 0;
    while (size < this.#settings.maxSize && size < this.#queue.length && this.#queue[size]?.alone !== true) size++;
    return this.#queue.splice(0, size);
  }

  async #runGroup(connection: DatabaseConnection, batch: readonly Queued[]): Promise<Array<() => void>> {
    // A group that only holds deferred members may skip the flush; one member that wants it gets it for all.
    const deferred = batch.every((queued) => queued.member.durability === 'deferred')
      ? this.#settings.deferredFlush
      : undefined;
    if (deferred?.beforeBegin !== undefined) {
      try {
        await connection.executeQuery(deferred.beforeBegin);
      } catch (error) {
        return batch.map((queued) => () => queued.reject(error));
      }
    }
    try {
      return await this.#inTransaction(connection, batch, deferred?.afterBegin);
    } finally {
      if (deferred?.afterEnd !== undefined) {
        try {
          await connection.executeQuery(deferred.afterEnd);
        } catch (error) {
          // The members' outcomes are decided; the failure to restore the connection's durability must be seen.
          this.#settings.logger.error({ err: error }, 'restoring synchronous after a deferred commit group failed');
        }
      }
    }
  }

  async #inTransaction(
    connection: DatabaseConnection,
    batch: readonly Queued[],
    afterBegin: CompiledQuery | undefined,
  ): Promise<Array<() => void>> {
    try {
      await connection.executeQuery(this.begin);
    } catch (error) {
      // Nothing ran: each member fails this attempt as a lone transaction would (SQLITE_BUSY is retried by each).
      return batch.map((queued) => () => queued.reject(error));
    }
    const settled: Array<() => void> = [];
    const ran: Array<{ queued: Queued; outcome: unknown }> = [];
    /** Members from this index on have not started their work (or left the group, their writes rolled back). */
    let next = 0;
    /** Set when a member left: its abandoned try's code, which its next try waits for. */
    let left: Promise<unknown> | undefined;
    /** The member whose work is running or whose savepoint is ending, with the error of its work if it threw. */
    let current: { queued: Queued; failure?: { error: unknown } } | undefined;
    try {
      if (afterBegin !== undefined) await connection.executeQuery(afterBegin);
      for (const [index, queued] of batch.entries()) {
        await connection.executeQuery(SAVEPOINT);
        next++;
        current = { queued };
        const exit = index === 0 ? undefined : new GroupExit();
        try {
          ran.push({ queued, outcome: await runMember(queued, connection, exit) });
          current = undefined;
          await connection.executeQuery(RELEASE);
        } catch (error) {
          if (current === undefined) throw error;
          current.failure = { error };
          // Only this member's writes go; the group goes on.
          await connection.executeQuery(ROLLBACK_TO);
          await connection.executeQuery(RELEASE);
          current = undefined;
          if (exit?.isReason(error) === true) {
            // It left: the members before it commit now, and it runs again (its function anew) in a group of its own.
            next = index;
            left = exit.finished;
            break;
          }
          settled.push(() => queued.reject(error));
        }
      }
      await connection.executeQuery(COMMIT);
    } catch (error) {
      // A savepoint statement or the COMMIT failed: the transaction is gone or unusable (an I/O error, a full disk, a
      // deferred constraint), so no member that ran is committed, and each is told so. Its rollback is the group's.
      await this.#settings.rollback(connection, error);
      const failure = current?.failure;
      if (current !== undefined && failure !== undefined) {
        const { queued } = current;
        settled.push(() => queued.reject(failure.error));
      }
      for (const { queued } of ran) settled.push(() => queued.reject(error));
      const unreached = batch.slice(next);
      // Those not reached go back to the queue, unless nothing ran at all: then the failure is no member's doing, and
      // each meets it as its own attempt's (retried under its own policy), so a lasting failure cannot loop here.
      if (next > 0) this.#requeue(unreached, left);
      else for (const queued of unreached) settled.push(() => queued.reject(error));
      return settled;
    }
    for (const { queued, outcome } of ran) settled.push(() => queued.resolve(outcome));
    this.#requeue(batch.slice(next), left);
    return settled;
  }

  /**
   * Members a group did not reach go back to the head of the queue: they have not run (or, the first when it `left`,
   * their writes were rolled back, and it goes alone).
   */
  #requeue(members: readonly Queued[], left: Promise<unknown> | undefined): void {
    const [first, ...rest] = members;
    if (first === undefined) return;
    this.#queue.unshift(left === undefined ? first : { ...first, alone: true, after: left }, ...rest);
    if (!this.#starting) this.#start();
  }
}

const SAVEPOINT = CompiledQuery.raw('savepoint weft_group_member');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint weft_group_member');
const RELEASE = CompiledQuery.raw('release savepoint weft_group_member');
const COMMIT = CompiledQuery.raw('commit');

/**
 * Runs a member's work in its caller's async context. A member after the first that is still running once the event
 * loop has turned (its work waits for something other than the database: a timer, the network, or the outcome of a
 * transaction ahead of it, which a group acknowledges only at its COMMIT, after this member) is made to leave: without
 * it, waiting for an earlier member of its own group would never end. Work on the database alone finishes within the
 * turn (better-sqlite3 answers at once), so this costs nothing to the members that share.
 */
function runMember(queued: Queued, connection: DatabaseConnection, exit: GroupExit | undefined): Promise<unknown> {
  const running = queued.context.runInAsyncScope(() => queued.member.work(connection, exit));
  if (exit === undefined) return running;
  const turned = setImmediate(() => exit.leave());
  return running.finally(() => clearImmediate(turned));
}

/**
 * How a group makes a member leave: `signal` abandons its try (the unit of work joins it to the try's own signal), and
 * the unit of work hands over the try's code, which may go on after the abandonment until it next uses the database.
 */
export class GroupExit {
  readonly #controller = new AbortController();
  #finished: Promise<unknown> = Promise.resolve();

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Settles (never rejects) once the abandoned try's code has finished. */
  get finished(): Promise<unknown> {
    return this.#finished;
  }

  leave(): void {
    this.#controller.abort(new LeftGroup());
  }

  /** True when `error` is this exit's: the try was abandoned because it left, not because it failed. */
  isReason(error: unknown): boolean {
    return this.#controller.signal.aborted && error === this.#controller.signal.reason;
  }

  /** Records the abandoned try's code (its promise), which the member's next try waits for. */
  abandoned(code: unknown): void {
    this.#finished = Promise.resolve(code).then(
      () => undefined,
      () => undefined,
    );
  }
}

/** Why a member's first try was abandoned: it left its group, and runs again alone. Its caller never sees it. */
class LeftGroup extends Error {
  constructor() {
    super('The transaction waited past a turn of the event loop inside a commit group; it runs again alone.');
  }
}

function settleAll(settle: ReadonlyArray<() => void>): void {
  for (const one of settle) one();
}
