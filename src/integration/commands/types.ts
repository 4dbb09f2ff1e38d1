import type { Schema } from '../validation/internal.js';

/** Who asked for a command: a player's account, an operator, or Weft itself (a subscriber, a job, a test). */
export interface Actor {
  readonly kind: 'user' | 'operator' | 'system';
  /** The account id for users and operators; a name for systems (`quest`, `cli`). */
  readonly id: string;
  /** What the actor may do (`player`, `admin`), for commands that check. */
  readonly roles?: readonly string[];
  /** How the actor is shown (a user's username), when whoever named the actor knew it. */
  readonly name?: string;
}

/** How one command is run. */
export interface ExecuteOptions {
  /**
   * Who asked. Default: the actor of the command running around the call; outside any command `weft.execute` runs as
   * `{ kind: 'system', id: 'weft' }` and `sys.execute` as its system.
   */
  readonly actor?: Actor;
  /**
   * Makes a retry safe: the first result is stored with the command's writes, and a repeat with the
   * same key (from the same actor) returns it without running again. Only for idempotent commands.
   */
  readonly idempotencyKey?: string;
  /** Default: the current context's, or a new one. */
  readonly correlationId?: string;
}

/** What a command handler gets besides its input. */
export interface CommandContext {
  /** `system.name` of the running command. */
  readonly command: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly idempotencyKey: string | undefined;
}

/** How a command is declared: its input and output schemas, and whether it takes idempotency keys. */
export interface CommandOptions<Input, Output, Prepared = undefined> {
  readonly input: Schema<Input>;
  readonly output: Schema<Output>;
  /** It honours idempotency keys (store the first result, replay it). Default false: a key is refused. */
  readonly idempotent?: boolean;
  /**
   * It only reads: it runs in a read-only transaction (SQLite takes no write lock; a write in it is a UsageError on
   * both backends), or inside the transaction of a command that runs it. Not with `idempotent`.
   */
  readonly readOnly?: boolean;
  /**
   * With `readOnly`: the handler reads with at most one statement, which is atomic on its own, so no
   * transaction is opened around it (no BEGIN and COMMIT). For the reads every request makes (checking an access
   * token); a handler that reads twice needs the transaction to see one snapshot.
   */
  readonly oneStatement?: boolean;
  /** One line for docs and the OpenAPI document. */
  readonly description?: string;
  /**
   * Slow work that must not hold the transaction (hashing a password, a call to another service):
   * it runs first, outside any transaction, and its result is the handler's third argument. What it
   * writes it writes in transactions of its own; a throw stops the command before its transaction.
   */
  readonly prepare?: (input: Input, context: CommandContext) => Prepared | Promise<Prepared>;
}

/** The code of a command: one transaction around it, its input already validated (and prepared, see `prepare`). */
export type CommandHandler<Input, Output, Prepared = undefined> = (
  input: Input,
  context: CommandContext,
  prepared: Prepared,
) => Output | Promise<Output>;

/** A registered command, typed: pass it to `execute` instead of its name. */
export interface CommandRef<Name extends string = string, Input = unknown, Output = unknown> {
  readonly name: Name;
  /** Phantom fields carrying the types; never read at run time. */
  readonly types?: { readonly input: Input; readonly output: Output };
}

/** A registered command, as listings (docs, OpenAPI, the integration lint) see it. */
export interface CommandInfo {
  readonly name: string;
  readonly system: string;
  readonly idempotent: boolean;
  readonly readOnly: boolean;
  readonly description: string | undefined;
  /** The names its schemas are registered under in the validation part. */
  readonly inputSchema: string;
  readonly outputSchema: string;
}
