import { pino, stdSerializers, type DestinationStream, type Level, type Logger } from 'pino';
import { ConfigError, NotFoundError } from '../errors/internal.js';
import { currentContext, type WeftContext } from './context.js';
import { RecentLines, type RecentLine } from './recent-lines.js';

/** Every level name, most severe first; `silent` turns a logger off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A level name; `silent` turns a logger off. */
export type LogLevel = Level | 'silent';

/** Options of `createLogger`. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Levels per system, changeable later with `setLevel`. */
  readonly systemLevels?: Readonly<Record<string, LogLevel>>;
  /** Pretty lines (pino-pretty) instead of JSON; default: when stdout is a terminal. */
  readonly pretty?: boolean;
  /** Where lines go; default stdout. Tests pass an in-memory stream. */
  readonly destination?: DestinationStream;
  /** Warning and error lines kept for `recent()`, shared fairly between systems. Default 200. */
  readonly recentSize?: number;
}

/**
 * The system a logger is bound to (set on our per-system children, inherited by theirs), so the context's is not added
 * twice.
 */
const SYSTEM_BOUND = Symbol('weft.systemBound');

const LEVEL_NAMES: Readonly<Record<number, RecentLine['level']>> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * Weft's logger: pino, each line with the current context (correlationId, causationId, system,
 * traceId), errors under `err` with stack and cause, one child per system with its own level,
 * and a ring of the latest warnings and errors.
 * @example const log = logging.forSystem('crafting'); log.info({ recipeId }, 'crafted')
 */
export class WeftLogger {
  readonly root: Logger;
  readonly #systems = new Map<string, Logger>();
  readonly #systemLevels: Map<string, LogLevel>;
  readonly #recent: RecentLines;

  constructor(options: LoggerOptions = {}) {
    this.#systemLevels = new Map(Object.entries(options.systemLevels ?? {}));
    this.#recent = new RecentLines(options.recentSize ?? 200);
    const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY);
    const remember = (logger: Logger, level: number, args: readonly unknown[]): void =>
      this.#remember(logger, level, args);
    const config = {
      level: options.level ?? 'info',
      errorKey: 'err',
      serializers: { err: stdSerializers.errWithCause },
      hooks: {
        logMethod(
          this: Logger,
          args: Parameters<Logger['info']>,
          method: (...a: Parameters<Logger['info']>) => void,
          level: number,
        ) {
          if (isContextChild(this)) {
            method.apply(this, args);
            return;
          }
          if (level >= 40) remember(this, level, args);
          const context = currentContext();
          if (context === undefined) {
            method.apply(this, args);
            return;
          }
          // The context's fields ride as child bindings, serialized once per context and logger, not per line.
          const child = contextChild(this, context);
          const write = child[this.levels.labels[level] as Level];
          write.apply(child, args);
        },
      },
    };
    this.root =
      options.destination !== undefined
        ? pino(config, options.destination)
        : pretty
          ? pino({ ...config, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } })
          : pino(config);
  }

  /** The logger of one game system (or part): lines carry `system`, its level set separately. */
  forSystem(system: string): Logger {
    let child = this.#systems.get(system);
    if (child === undefined) {
      child = this.root.child({ system });
      Object.defineProperty(child, SYSTEM_BOUND, { value: system });
      const level = this.#systemLevels.get(system);
      if (level !== undefined) child.level = level;
      this.#systems.set(system, child);
    }
    return child;
  }

  /**
   * Changes the level of a known system (one with a logger, or one named in `systemLevels`), or of
   * the root and every system without its own level with `'*'`, at run time. An unknown name is a
   * NotFoundError: names reach this from operators over HTTP, and each kept one would stay forever.
   */
  setLevel(system: string, level: LogLevel): void {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(`Unknown log level ${JSON.stringify(level)}; accepted: ${LOG_LEVELS.join(', ')}.`);
    }
    if (system === '*') {
      this.root.level = level;
      for (const [name, child] of this.#systems) if (!this.#systemLevels.has(name)) child.level = level;
      return;
    }
    if (!this.#systems.has(system) && !this.#systemLevels.has(system)) {
      throw new NotFoundError(
        `No system named ${JSON.stringify(system)} logs here; known: ${this.knownSystems().join(', ')}.`,
      );
    }
    this.#systemLevels.set(system, level);
    const child = this.#systems.get(system);
    if (child !== undefined) child.level = level;
  }

  /** The names `setLevel` accepts: `'*'`, then every system with a logger or a level of its own, sorted. */
  knownSystems(): string[] {
    return ['*', ...[...new Set([...this.#systems.keys(), ...this.#systemLevels.keys()])].sort()];
  }

  /** The most recent warning and error lines, oldest first; a flooding system keeps only its share. */
  recent(): RecentLine[] {
    return this.#recent.lines();
  }

  #remember(logger: Logger, level: number, args: readonly unknown[]): void {
    const [first, second] = args;
    const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
    const err = first instanceof Error ? first : fields?.err instanceof Error ? fields.err : undefined;
    const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : (err?.message ?? '');
    const context = currentContext();
    const bound = boundSystem(logger);
    const system = typeof fields?.system === 'string' ? fields.system : (bound ?? context?.system);
    this.#recent.push({
      time: new Date().toISOString(),
      level: LEVEL_NAMES[level] ?? 'fatal',
      msg,
      ...(system === undefined ? {} : { system }),
      ...(context?.correlationId === undefined ? {} : { correlationId: context.correlationId }),
      ...(err === undefined ? {} : { error: err.message }),
    });
  }
}

/** Marks the children that carry a context's fields, so their lines are written as they are. */
const CONTEXT_BOUND = Symbol('weft.contextBound');

/** Per context, per logger: the child carrying that context's fields. Gone with the context. */
const contextChildren = new WeakMap<WeftContext, Map<Logger, Logger>>();

function isContextChild(logger: Logger): boolean {
  return (logger as unknown as Record<symbol, unknown>)[CONTEXT_BOUND] === true;
}

function contextChild(logger: Logger, context: WeftContext): Logger {
  let byLogger = contextChildren.get(context);
  if (byLogger === undefined) {
    byLogger = new Map();
    contextChildren.set(context, byLogger);
  }
  let child = byLogger.get(logger);
  if (child === undefined) {
    child = logger.child(contextFields(logger, context));
    Object.defineProperty(child, CONTEXT_BOUND, { value: true });
    byLogger.set(logger, child);
  }
  return child;
}

function contextFields(logger: Logger, context: WeftContext): Record<string, unknown> {
  const fields: Record<string, unknown> = { correlationId: context.correlationId };
  if (context.causationId !== undefined) fields.causationId = context.causationId;
  if (context.traceId !== undefined) fields.traceId = context.traceId;
  if (context.system !== undefined && boundSystem(logger) === undefined) fields.system = context.system;
  return fields;
}

function boundSystem(logger: Logger): string | undefined {
  const system = (logger as unknown as Record<symbol, unknown>)[SYSTEM_BOUND];
  return typeof system === 'string' ? system : undefined;
}
