import { randomBytes } from 'node:crypto';

/**
 * The most statement texts that get a name. Each named statement holds a plan in the server's memory on every
 * connection that ran it; texts past the limit (an application that builds many shapes) run unnamed, as before.
 */
const MAX_NAMED_STATEMENTS = 500;

/**
 * A list of values (`in ($2, $3, ...)`). A statement holding one runs unnamed: the server's generic plan for a prepared
 * statement, made once after its first five runs, cannot know which or how many listed rows exist, and when the table
 * was small (a table never analyzed yet, as on a new game's first minutes) it reads every row matching the other
 * conditions and filters them: the inbox check Weft had then (since merged into the inbox insert) read a busy
 * subscription's whole inbox on each delivery
 * (`npm run bench -- distributed`, default transport: 16k events/s -> 11k). Its text also changes with the list's
 * length.
 */
const VALUE_LIST = /\bin \(\$\d/i;

/**
 * The server-side name of each statement text, shared by every connection of one pool. Names carry a prefix of the
 * pool's own: behind a pooler that hands one server connection to several clients, two processes' `weft_1` would
 * otherwise meet, and a statement could run as another one with the same parameters.
 */
export class StatementNames {
  readonly #names = new Map<string, string>();
  readonly #prefix = `weft_${randomBytes(4).toString('hex')}_`;
  #issued = 0;
  #stopped = false;

  /** The name to prepare `sql` under, or undefined when it runs unnamed (a list of values, the limit, or stopped). */
  nameOf(sql: string): string | undefined {
    if (this.#stopped) return undefined;
    const name = this.#names.get(sql);
    if (name !== undefined || this.#names.size >= MAX_NAMED_STATEMENTS || VALUE_LIST.test(sql)) return name;
    return this.#rename(sql);
  }

  /**
   * Runs every statement unnamed from now on: a connection lost statements it had prepared, which a pooler between
   * Weft and the server does (a reset between clients, or a transaction-mode pooler moving the client to another server
   * connection). True the first time, so the caller says so once.
   */
  stop(): boolean {
    if (this.#stopped) return false;
    this.#stopped = true;
    return true;
  }

  /**
   * Gives `sql` a new name: the statement prepared under the old one no longer runs (its table's columns changed), so
   * every connection prepares it anew under the new name. The old one lingers on each connection until it closes.
   */
  forget(sql: string): void {
    if (this.#names.has(sql)) this.#rename(sql);
  }

  #rename(sql: string): string {
    this.#issued += 1;
    const name = `${this.#prefix}${this.#issued}`;
    this.#names.set(sql, name);
    return name;
  }
}
