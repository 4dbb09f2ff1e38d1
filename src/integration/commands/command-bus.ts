import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { ContextSlot } from '../async-context/internal.js';
import type { Database } from '../database/internal.js';
import { ConfigError, NotFoundError, UsageError, ValidationError, WeftError, isWeftError } from '../errors/internal.js';
import { uuidv7 } from '../events/internal.js';
import { currentContext, runWithContext, type WeftContext, type WeftMetrics } from '../monitoring/internal.js';
import type { StateStore } from '../state/internal.js';
import { issue, validationFailed, type ValidationManager } from '../validation/internal.js';
import { IdempotencyRecords, inputHash, type StoredResult } from './idempotency-records.js';
import type {
  Actor,
  CommandContext,
  CommandHandler,
  CommandInfo,
  CommandOptions,
  CommandRef,
  ExecuteOptions,
} from './types.js';

/** Options of a CommandBus. */
export interface CommandBusOptions {
  readonly db: Pick<Database, 'withTables' | 'transaction'>;
  readonly validation: ValidationManager;
  /** Commands run in a state transaction: state writes, events and invariants commit with them. */
  readonly state: Pick<StateStore, 'transaction'>;
  readonly metrics?: WeftMetrics;
  readonly logger?: Logger;
}

interface Registered {
  readonly info: CommandInfo;
  readonly handler: CommandHandler<unknown, unknown, unknown>;
  readonly prepare: ((input: unknown, context: CommandContext) => unknown) | undefined;
  /** Read-only and one statement: run without a transaction. */
  readonly oneStatement: boolean;
}

/** Who runs a command when nobody says. */
const WEFT: Actor = { kind: 'system', id: 'weft' };
const NAME = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
/** Printable ASCII without spaces, as HTTP clients send `Idempotency-Key`. */
const KEY = /^[\x21-\x7e]{1,200}$/;
const ACTOR_KINDS: ReadonlySet<string> = new Set(['user', 'operator', 'system']);
const READ_ONLY = { readOnly: true } as const;

/**
 * Commands: a validated input, one transaction, the events it publishes, a typed result. Each
 * runs with an actor and a correlation id; an idempotent command given an idempotency key stores
 * its first result in its own transaction, so a repeat returns that result and never has a
 * second effect. A command run inside another runs in a savepoint of the same transaction.
 * @example
 * commands.register('crafting', 'craft', { input: CraftInput, output: CraftResult, idempotent: true }, craft)
 * await commands.execute('crafting.craft', { recipeId: 'sword' }, { actor, idempotencyKey })
 */
export class CommandBus {
  /** The stored first results of idempotency keys (prune them on a schedule). */
  readonly records: IdempotencyRecords;
  readonly #db: CommandBusOptions['db'];
  readonly #validation: ValidationManager;
  readonly #state: CommandBusOptions['state'];
  readonly #metrics: WeftMetrics | undefined;
  readonly #logger: Logger;
  readonly #commands = new Map<string, Registered>();
  /** The command running in the calling async flow: nested commands inherit its actor. */
  readonly #running = new ContextSlot<CommandContext>();
  /** Keys being run in this process: a repeat waits for the first instead of queueing a transaction behind it. */
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(options: CommandBusOptions) {
    this.#db = options.db;
    this.records = new IdempotencyRecords(options.db);
    this.#validation = options.validation;
    this.#state = options.state;
    this.#metrics = options.metrics;
    this.#logger = options.logger ?? pino({ name: 'weft.commands' });
  }

  /** Registers `system.name`; its input and output schemas go to the validation part, owned by the system. */
  register<const Name extends string, Input, Output, Prepared = undefined>(
    system: string,
    name: Name,
    options: CommandOptions<Input, Output, Prepared>,
    handler: CommandHandler<Input, Output, Prepared>,
  ): CommandRef<`${string}.${Name}`, Input, Output> {
    const full = `${system}.${name}`;
    if (!NAME.test(full))
      throw new ConfigError(`A command is named system.snake_case_name; received ${JSON.stringify(full)}.`);
    if (this.#commands.has(full)) throw new ConfigError(`Command ${full} is registered already.`);
    if (options.input === undefined || options.output === undefined) {
      throw new ConfigError(`Command ${full} needs an input and an output schema.`);
    }
    if (options.oneStatement === true && options.readOnly !== true) {
      throw new ConfigError(`Command ${full} runs without a transaction (oneStatement) only if it is readOnly.`);
    }
    if (options.idempotent === true && options.readOnly === true) {
      throw new ConfigError(`Command ${full} is read-only: it has no effect to protect with idempotency keys.`);
    }
    const info: CommandInfo = {
      name: full,
      system,
      idempotent: options.idempotent === true,
      readOnly: options.readOnly === true,
      description: options.description,
      inputSchema: `${full}.input`,
      outputSchema: `${full}.output`,
    };
    this.#validation.registerSchema(info.inputSchema, options.input, { owner: system });
    this.#validation.registerSchema(info.outputSchema, options.output, { owner: system });
    this.#commands.set(full, {
      info,
      handler: handler as CommandHandler<unknown, unknown, unknown>,
      prepare: options.prepare as Registered['prepare'],
      oneStatement: options.oneStatement === true,
    });
    return { name: full as `${string}.${Name}` };
  }

  /** The actor of the command running in the calling async flow, if any. */
  currentActor(): Actor | undefined {
    return this.#running.getStore()?.actor;
  }

  /** Every registered command. */
  list(): CommandInfo[] {
    return [...this.#commands.values()].map((command) => command.info);
  }

  /**
   * Runs a command by name (or by the ref `register` returned): input validated (422), one
   * transaction, the result checked against the output schema. With an idempotency key, a repeat
   * returns the first result; the same key with another input is a 422.
   */
  async execute<Input, Output>(
    command: string | CommandRef<string, Input, Output>,
    input: unknown,
    options: ExecuteOptions = {},
  ): Promise<Output> {
    return (await this.run(command, input, options)).output;
  }

  /** Like `execute`, and says whether the result was replayed from an earlier run of the same idempotency key. */
  async run<Input, Output>(
    command: string | CommandRef<string, Input, Output>,
    input: unknown,
    options: ExecuteOptions = {},
  ): Promise<{ readonly output: Output; readonly replayed: boolean }> {
    if (typeof options !== 'object' || options === null) {
      throw new UsageError('The options of a command run are an object, such as { actor, idempotencyKey }.');
    }
    const name = typeof command === 'string' ? command : command.name;
    const registered = this.#commands.get(name);
    if (registered === undefined)
      throw new NotFoundError(`No command is named ${name}.`, { details: { command: name } });
    const actor = options.actor ?? this.#running.getStore()?.actor ?? WEFT;
    checkActor(actor);
    const key = options.idempotencyKey;
    if (key !== undefined) checkKey(registered.info, key);
    const checked = this.#validation.validateData(registered.info.inputSchema, input);
    if (!checked.ok) throw validationFailed(`input of ${name}`, checked, { command: name });
    const context: CommandContext = {
      command: name,
      actor,
      correlationId: options.correlationId ?? currentContext()?.correlationId ?? uuidv7(),
      idempotencyKey: key,
    };
    const run = () => this.#run(registered, checked.value, context) as Promise<{ output: Output; replayed: boolean }>;
    if (key === undefined) return run();
    const flight = `${actor.kind}:${actor.id}\u0000${key}`;
    // A repeat while the first is still running here waits for it, then finds its stored result.
    for (let first = this.#inFlight.get(flight); first !== undefined; first = this.#inFlight.get(flight)) {
      await first.catch(() => undefined);
    }
    const running = run();
    this.#inFlight.set(flight, running);
    try {
      return await running;
    } finally {
      if (this.#inFlight.get(flight) === running) this.#inFlight.delete(flight);
    }
  }

  async #run(
    command: Registered,
    input: unknown,
    context: CommandContext,
  ): Promise<{ readonly output: unknown; readonly replayed: boolean }> {
    const { info } = command;
    const started = performance.now();
    const hash = context.idempotencyKey === undefined ? '' : inputHash(input);
    const weftContext: Partial<WeftContext> = { correlationId: context.correlationId, system: info.system };
    let outcome = 'ok';
    try {
      const prepared =
        command.prepare === undefined
          ? undefined
          : await runWithContext(weftContext, () =>
              this.#running.run(context, () => command.prepare?.(input, context)),
            );
      const done = await runWithContext(weftContext, () =>
        this.#running.run(context, () =>
          command.oneStatement
            ? this.#unwrapped(info, command, input, context, prepared)
            : info.readOnly
              ? this.#db.transaction(
                  async () => ({ output: this.#checkedOutput(info, await command.handler(input, context, prepared)) }),
                  READ_ONLY,
                )
              : this.#state.transaction(async () => {
                  const key = context.idempotencyKey;
                  if (key !== undefined) {
                    const stored = await this.records.claim(context.actor, key, info.name, hash, context.correlationId);
                    if (stored !== undefined) return { stored };
                  }
                  const output = this.#checkedOutput(info, await command.handler(input, context, prepared));
                  if (key !== undefined) await this.records.complete(context.actor, key, output);
                  return { output };
                }),
        ),
      );
      if ('output' in done) return { output: done.output, replayed: false };
      outcome = 'replayed';
      return { output: this.#replay(info, done.stored, hash), replayed: true };
    } catch (error) {
      // Budgets' error rate counts `error`: a refusal (a 4xx: bad input, not enough gold) is the caller's, not a
      // failure.
      outcome = isWeftError(error) && error.status < 500 ? 'refused' : 'error';
      this.#report(info, context, error);
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      this.#metrics?.operationDuration.observe({ operation: info.name, outcome }, durationMs);
      // Checked first: the line's fields were built on every command, logged or not.
      if (this.#logger.isLevelEnabled('debug')) {
        this.#logger.debug(
          { command: info.name, actor: `${context.actor.kind}:${context.actor.id}`, outcome, durationMs },
          'command ran',
        );
      }
    }
  }

  /**
   * A read-only command of one statement, run as it is: the statement is atomic without BEGIN and COMMIT (on SQLite
   * the driver's connection lock keeps it from reading another transaction's uncommitted rows). `npm run bench -- http`
   * needs it: every authenticated request checks its token with such a command.
   */
  async #unwrapped(
    info: CommandInfo,
    command: Registered,
    input: unknown,
    context: CommandContext,
    prepared: unknown,
  ): Promise<{ output: unknown }> {
    return { output: this.#checkedOutput(info, await command.handler(input, context, prepared)) };
  }

  /** The first run's result for a repeat, or a 422 when the key was first used for another request. */
  #replay(info: CommandInfo, stored: StoredResult, hash: string): unknown {
    if (stored.command !== info.name || stored.inputHash !== hash) {
      throw new ValidationError(
        `This idempotency key was used for ${stored.command === info.name ? `another input of ${info.name}` : stored.command}; use a new key for a new request.`,
        {
          issues: [issue(['idempotencyKey'], 'idempotency_key_reused', 'the key belongs to another request')],
          details: { command: info.name },
        },
      );
    }
    return this.#checkedOutput(info, stored.result);
  }

  /** The handler's result as its output schema parses it; a result the schema refuses is the command's bug (500). */
  #checkedOutput(info: CommandInfo, output: unknown): unknown {
    const checked = this.#validation.validateData(info.outputSchema, output);
    if (checked.ok) return checked.value;
    throw new WeftError('WEFT_INTERNAL', `Command ${info.name} returned a result its output schema refuses.`, {
      details: { command: info.name, issues: checked.issues, omittedIssues: checked.omittedIssues },
    });
  }

  /** A refused command (4xx) is the caller's; a failed one (5xx) is ours and logged as an error. */
  #report(info: CommandInfo, context: CommandContext, error: unknown): void {
    const fields = {
      err: error,
      command: info.name,
      code: isWeftError(error) ? error.code : 'WEFT_INTERNAL',
      actor: `${context.actor.kind}:${context.actor.id}`,
    };
    if (isWeftError(error) && error.status < 500) this.#logger.info(fields, 'command refused');
    else this.#logger.error(fields, 'command failed');
  }
}

function checkActor(actor: Actor): void {
  if (!ACTOR_KINDS.has(actor.kind) || typeof actor.id !== 'string' || actor.id.length === 0) {
    throw new ValidationError('An actor is { kind: user | operator | system, id: a non-empty string }.', {
      issues: [issue(['actor'], 'invalid_actor', `not an actor: ${JSON.stringify(actor)}`)],
    });
  }
}

function checkKey(info: CommandInfo, key: string): void {
  if (!info.idempotent) {
    throw new ValidationError(`Command ${info.name} does not take an idempotency key: it is not idempotent.`, {
      issues: [issue(['idempotencyKey'], 'not_idempotent', `${info.name} does not take idempotency keys`)],
      details: { command: info.name },
    });
  }
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new ValidationError('An idempotency key is 1 to 200 printable ASCII characters, without spaces.', {
      issues: [issue(['idempotencyKey'], 'invalid_key', `not an idempotency key: ${JSON.stringify(key)}`)],
      details: { command: info.name },
    });
  }
}
