import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';
import { ConflictError, ConfigError, NotFoundError } from '../errors/internal.js';

/** Any Standard Schema validator: Zod 4 (the default), Valibot, ArkType, ... */
export type Schema<Output = unknown> = StandardSchemaV1<unknown, Output>;

/** Where a schema came from. */
export interface SchemaOptions {
  /** Each version stays readable; registering a changed schema needs a new one. Default 1. */
  readonly version?: number;
  /** The system that owns the shape (`crafting`); the integration lint reports names with two owners. */
  readonly owner?: string;
}

/** One registered version of a schema. */
export interface SchemaEntry {
  readonly name: string;
  readonly version: number;
  readonly owner: string | undefined;
  readonly schema: Schema;
  /** Set when the schema is a Zod schema: its own `safeParse` is faster than the Standard Schema entry point. */
  readonly zod: z.ZodType | undefined;
}

const NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

/** Every schema by name and version. */
export class SchemaRegistry {
  readonly #byName = new Map<string, { latest: SchemaEntry; versions: Map<number, SchemaEntry> }>();

  register(name: string, schema: Schema, options: SchemaOptions = {}): SchemaEntry {
    if (!NAME.test(name)) {
      throw new ConfigError(
        `Schema name must be dot-separated snake_case words (crafting.recipe); received ${JSON.stringify(name)}.`,
      );
    }
    if (
      typeof schema !== 'object' ||
      schema === null ||
      typeof (schema as Partial<Schema>)['~standard']?.validate !== 'function'
    ) {
      throw new ConfigError(`Schema "${name}" is not a Zod schema or any Standard Schema validator.`);
    }
    const version = options.version ?? 1;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new ConfigError(`Schema "${name}" version must be an integer >= 1; received ${String(version)}.`);
    }
    const entry: SchemaEntry = {
      name,
      version,
      owner: options.owner,
      schema,
      zod: schema instanceof z.ZodType ? schema : undefined,
    };
    const known = this.#byName.get(name);
    if (known === undefined) {
      this.#byName.set(name, { latest: entry, versions: new Map([[version, entry]]) });
      return entry;
    }
    const existing = known.versions.get(version);
    if (existing !== undefined) {
      if (existing.schema === schema && existing.owner === entry.owner) return existing;
      throw new ConflictError(
        `Schema "${name}" version ${version} is registered already with a different schema; register it as a new version.`,
      );
    }
    known.versions.set(version, entry);
    if (version > known.latest.version) known.latest = entry;
    return entry;
  }

  /** The requested version, or the latest; an unknown name or version is a NotFoundError. */
  get(name: string, version?: number): SchemaEntry {
    const known = this.#byName.get(name);
    if (known === undefined)
      throw new NotFoundError(`No schema is registered as "${name}".`, { details: { schema: name } });
    if (version === undefined) return known.latest;
    const entry = known.versions.get(version);
    if (entry === undefined) {
      throw new NotFoundError(
        `Schema "${name}" has no version ${version}; registered: ${[...known.versions.keys()].join(', ')}.`,
        {
          details: { schema: name, version },
        },
      );
    }
    return entry;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Every version of every schema. */
  *entries(): Generator<SchemaEntry> {
    for (const { versions } of this.#byName.values()) yield* versions.values();
  }
}
