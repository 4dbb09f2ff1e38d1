import type { Logger } from 'pino';
import type { CommandBus, CommandHandler, CommandOptions, CommandRef, ExecuteOptions } from '../commands/internal.js';
import type { Database, Migration } from '../database/internal.js';
import type { CommandInput, CommandName, CommandOutput } from './registry.js';
import type { SystemEvents } from './system-events.js';
import type { SystemMetrics } from './system-metrics.js';
import type { SystemState } from './system-state.js';
import type { SystemValidation } from './system-validation.js';

/** A system's logger: every line carries `system`. */
export type SystemLogger = Pick<Logger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'child'>;

/** Runs a command by its declared name, or by the ref `command` returned. */
export interface Execute {
  <Name extends string, Input, Output>(
    command: CommandRef<Name, Input, Output>,
    input: Input,
    options?: ExecuteOptions,
  ): Promise<Output>;
  <K extends CommandName>(name: K, input: CommandInput<K>, options?: ExecuteOptions): Promise<CommandOutput<K>>;
}

/** What a handle is built from. */
export interface SystemParts<S extends string> {
  readonly name: S;
  readonly events: SystemEvents<S>;
  readonly state: SystemState<S>;
  readonly validation: SystemValidation;
  readonly logger: SystemLogger;
  readonly metrics: SystemMetrics;
  readonly db: Database;
  readonly commands: CommandBus;
  /** Records the system's migrations (during install), or refuses them (outside one). */
  readonly migrations: (list: readonly Migration[]) => void;
}

/**
 * The one handle a game system gets from Weft (`weft.system(name)`, or `setup(sys)` of
 * `defineSystem`): its events, state, schemas, commands, tables, logger and metrics, each named
 * under the system. A system needs nothing else from Weft.
 */
export class SystemHandle<S extends string = string> {
  /** snake_case; the prefix of its events, slices, commands, subscriptions and metrics. */
  readonly name: S;
  /** Define, publish and subscribe: `system.event` types it owns, subscriptions named `system.on_...`. */
  readonly events: SystemEvents<S>;
  /** Slices of versioned state, typed from their schemas; invariants across slices. */
  readonly state: SystemState<S>;
  /** Its schemas, references and rules in the shared registry. */
  readonly validation: SystemValidation;
  /** A logger whose lines carry `system`. */
  readonly logger: SystemLogger;
  /** Counters, gauges and histograms named `weft_<system>_...`, labelled `system`. */
  readonly metrics: SystemMetrics;
  /**
   * Runs a command (this system's or another's) with an actor: inside a command or transaction
   * it joins it (a savepoint), otherwise it runs in one of its own. The actor defaults to the
   * running command's, else this system.
   */
  readonly execute: Execute;
  readonly #parts: SystemParts<S>;

  constructor(parts: SystemParts<S>) {
    this.#parts = parts;
    this.name = parts.name;
    this.events = parts.events;
    this.state = parts.state;
    this.validation = parts.validation;
    this.logger = parts.logger;
    this.metrics = parts.metrics;
    this.execute = (command: string | CommandRef, input: unknown, options: ExecuteOptions = {}) =>
      parts.commands.execute(command, input, {
        ...options,
        actor: options.actor ?? parts.commands.currentActor() ?? { kind: 'system', id: parts.name },
      });
  }

  /**
   * Registers the command `system.name`: validated input, one transaction, a typed result checked
   * against `output`; `idempotent` commands take idempotency keys. Returns its ref for `execute`.
   */
  command<const Name extends string, Input, Output, Prepared = undefined>(
    name: Name,
    options: CommandOptions<Input, Output, Prepared>,
    handler: CommandHandler<Input, Output, Prepared>,
  ): CommandRef<`${S}.${Name}`, Input, Output> {
    return this.#parts.commands.register(this.name, name, options, handler) as CommandRef<
      `${S}.${Name}`,
      Input,
      Output
    >;
  }

  /** Declares the system's own tables (inside `setup`): applied when the system is installed, under its name. */
  migrations(list: readonly Migration[]): void {
    this.#parts.migrations(list);
  }

  /** The database, typed with the system's own tables: queries join the transaction open around them. */
  database<Tables>(): Database<Tables> {
    return this.#parts.db.withTables<Tables>();
  }
}
