import type { CommandBus } from '../commands/internal.js';
import { Migrator, type Database, type Migration } from '../database/internal.js';
import { ConfigError } from '../errors/internal.js';
import type { BatchOptions, EventBus, EventEnvelope, SubscribeOptions } from '../events/internal.js';
import type { MonitoringManager } from '../monitoring/internal.js';
import type { StateStore } from '../state/internal.js';
import type { ValidationManager } from '../validation/internal.js';
import type { SystemDefinition } from './define-system.js';
import { SystemEvents, type Subscriber } from './system-events.js';
import { SystemHandle } from './system-handle.js';
import { SystemMetrics } from './system-metrics.js';
import { SystemState } from './system-state.js';
import { SystemValidation } from './system-validation.js';

/** The parts a system's handle is made of. */
export interface SystemsParts {
  readonly db: Database;
  readonly events: EventBus<Record<string, unknown>>;
  readonly state: StateStore;
  readonly validation: ValidationManager;
  readonly monitoring: MonitoringManager;
  readonly commands: CommandBus;
}

/** A subscription made during an install, started once every system of it is set up and migrated. */
interface StagedSubscription {
  readonly pattern: string;
  readonly handler: (event: never) => unknown;
  readonly options: SubscribeOptions<EventEnvelope> & { readonly batch?: BatchOptions; readonly name: string };
  /** Set once started: the function that unsubscribes it from the bus. */
  started: (() => Promise<void>) | undefined;
  cancelled: boolean;
}

/** One `install` call in progress: the subscriptions and migrations its systems declared. */
interface Install {
  readonly subscriptions: StagedSubscription[];
  readonly migrations: Array<{ readonly system: string; readonly list: readonly Migration[] }>;
}

/**
 * The game systems of one integration: their handles (one per name), and `install`, which sets
 * every system up first, then applies their migrations, then starts their subscriptions, so a
 * system may subscribe to events another system of the same install defines.
 */
export class Systems {
  readonly #parts: SystemsParts;
  readonly #handles = new Map<string, SystemHandle>();
  readonly #installed: Array<{ readonly system: string; readonly migrations: readonly Migration[] }> = [];
  #install: Install | undefined;
  /** The systems the running install is setting up: only they may declare migrations. */
  readonly #installing = new Set<string>();

  constructor(parts: SystemsParts) {
    this.#parts = parts;
  }

  /** The handle of system `name`, made on first call (its events, state, commands... named under it). */
  handle<const S extends string>(name: S): SystemHandle<S> {
    const known = this.#handles.get(name);
    if (known !== undefined) return known as unknown as SystemHandle<S>;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      throw new ConfigError(
        `A system is named in snake_case (crafting, world_state); received ${JSON.stringify(name)}.`,
      );
    }
    const { db, events, state, validation, monitoring, commands } = this.#parts;
    const handle = new SystemHandle<S>({
      name,
      events: new SystemEvents(name, events, this.#subscriber()),
      state: new SystemState(name, state),
      validation: new SystemValidation(name, validation),
      logger: monitoring.logger(name),
      metrics: new SystemMetrics(name, monitoring.metrics),
      db,
      commands,
      migrations: (list) => {
        const install = this.#install;
        if (install === undefined || !this.#installing.has(name)) {
          throw new ConfigError(
            `Migrations of ${name} are declared in its setup (defineSystem) and applied by weft.install.`,
          );
        }
        install.migrations.push({ system: name, list });
      },
    });
    this.#handles.set(name, handle);
    return handle;
  }

  /**
   * Installs systems in order: each one's `setup` runs on its handle, then every declared
   * migration is applied (under the system's name), then the subscriptions they made start.
   * A name already in use is refused. Call `assertWired()` after the last install.
   */
  async install(
    definitions: readonly SystemDefinition[],
    mode: { readonly migrate: boolean; readonly start: boolean } = { migrate: true, start: true },
  ): Promise<void> {
    if (this.#install !== undefined) throw new ConfigError('An install is running already; await it first.');
    const names = new Set<string>();
    for (const definition of definitions) {
      if (this.#handles.has(definition.name) || names.has(definition.name)) {
        throw new ConfigError(`System ${definition.name} is installed already (or has a handle from weft.system).`);
      }
      names.add(definition.name);
    }
    const install: Install = { subscriptions: [], migrations: [] };
    this.#install = install;
    try {
      for (const definition of definitions) {
        this.#installing.add(definition.name);
        await definition.setup(this.handle(definition.name));
      }
      const migrator = new Migrator(this.#parts.db);
      for (const { system, list } of install.migrations) migrator.register(system, list);
      if (mode.migrate && install.migrations.length > 0) await migrator.up();
      try {
        for (const staged of mode.start ? install.subscriptions : []) {
          if (!staged.cancelled)
            staged.started = this.#parts.events.subscribe(staged.pattern as never, staged.handler, staged.options);
        }
      } catch (error) {
        // One refused: none of this install's subscriptions delivers to systems whose install failed.
        for (const staged of install.subscriptions) {
          staged.cancelled = true;
          await staged.started?.();
        }
        throw error;
      }
    } finally {
      this.#install = undefined;
      this.#installing.clear();
    }
    for (const definition of definitions) {
      this.#installed.push({
        system: definition.name,
        migrations: install.migrations.filter((m) => m.system === definition.name).flatMap((m) => m.list),
      });
    }
  }

  /** The installed systems, in install order, with the migrations each declared. */
  installed(): ReadonlyArray<{ readonly system: string; readonly migrations: readonly Migration[] }> {
    return this.#installed;
  }

  /** Subscribes at once, or, while an install sets its systems up, once they are all set up and migrated. */
  #subscriber(): Subscriber {
    return (pattern, handler, options) => {
      const install = this.#install;
      if (install === undefined) return this.#parts.events.subscribe(pattern as never, handler, options);
      const staged: StagedSubscription = { pattern, handler, options, started: undefined, cancelled: false };
      install.subscriptions.push(staged);
      return async () => {
        staged.cancelled = true;
        await staged.started?.();
      };
    };
  }
}
