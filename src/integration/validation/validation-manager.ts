import { z } from 'zod';
import { ConfigError, ConflictError, NotFoundError, UsageError, type ValidationIssue } from '../errors/internal.js';
import { parseSettings } from './settings.js';
import { FailureLog, type ValidationFailure } from './failure-log.js';
import { lintIntegration, type IntegrationReport, type IntegrationWiring } from './integration-lint.js';
import { MAX_ISSUES, errorText, fromStandardIssue, fromZodIssue, issue } from './issues.js';
import { checkLimits } from './limits-check.js';
import { DEFAULT_LIMITS, type ValidationLimits } from './limits.js';
import { checkReference, compileReference, type CompiledReference, type ReferenceRule } from './references.js';
import {
  registeredRule,
  ruleFailure,
  ruleIssues,
  type BusinessRule,
  type RegisteredRule,
  type RuleOutcome,
} from './rules.js';
import { SchemaRegistry, type Schema, type SchemaEntry, type SchemaOptions } from './schema-registry.js';
import { validationFailed } from './validation-failed.js';

/**
 * The verdict of a validation: the parsed value, or the issues found (the first hundred, with a
 * count of the rest in `omittedIssues`). Warnings never fail it; at most a hundred are reported.
 */
export type ValidationResult<T = unknown> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly ValidationIssue[] }
  | {
      readonly ok: false;
      readonly issues: readonly ValidationIssue[];
      /** Issues found beyond the ones reported. */
      readonly omittedIssues: number;
      readonly warnings: readonly ValidationIssue[];
    };

/** Options of a ValidationManager; every one optional. */
export interface ValidationManagerOptions {
  /** Bounds checked before any schema; each one may be overridden. */
  readonly limits?: Partial<ValidationLimits>;
  /** Failures kept per schema name for `getValidationErrors`. Default 50. */
  readonly historySize?: number;
  /** Approximate bytes of issues kept per schema name for `getValidationErrors`. Default 262,144 (256 KiB). */
  readonly historyBytes?: number;
  /** The correlation id of the current request or event, recorded with each failure. */
  readonly correlationId?: () => string | undefined;
  /** Called on each failure (monitoring counts them by schema). */
  readonly onFailure?: (name: string, issues: readonly ValidationIssue[]) => void;
}

const optionsSchema = z.strictObject({
  limits: z
    .strictObject({
      maxBytes: z.int().positive(),
      maxDepth: z.int().positive(),
      maxArrayLength: z.int().nonnegative(),
      maxStringLength: z.int().nonnegative(),
      maxKeys: z.int().nonnegative(),
    })
    .partial()
    .optional(),
  historySize: z.int().positive().optional(),
  historyBytes: z.int().min(1024).optional(),
  correlationId: z.custom<() => string | undefined>((v) => typeof v === 'function', 'a function').optional(),
  onFailure: z
    .custom<(name: string, issues: readonly ValidationIssue[]) => void>((v) => typeof v === 'function', 'a function')
    .optional(),
});

const NO_WARNINGS: readonly ValidationIssue[] = Object.freeze([]);

/**
 * The registry every system registers the shapes of its data and events with, and the one
 * place every boundary (HTTP bodies, events, state writes, content files) is checked.
 * @example
 * validation.registerSchema('crafting.recipe', z.object({ id: z.string(), inputs: z.array(...) }), { owner: 'crafting'
 * })
 * const result = validation.validateData('crafting.recipe', body)
 */
export class ValidationManager {
  readonly #schemas = new SchemaRegistry();
  readonly #references: CompiledReference[] = [];
  readonly #rules = new Map<string, RegisteredRule>();
  readonly #rulesBySchema = new Map<string, RegisteredRule[]>();
  readonly #failures: FailureLog;
  readonly #limits: ValidationLimits;
  readonly #correlationId: (() => string | undefined) | undefined;
  readonly #onFailure: ((name: string, issues: readonly ValidationIssue[]) => void) | undefined;

  constructor(options: ValidationManagerOptions = {}) {
    const settings = parseSettings(optionsSchema, options, 'ValidationManager options');
    this.#limits = { ...DEFAULT_LIMITS, ...settings.limits };
    this.#failures = new FailureLog(settings.historySize ?? 50, settings.historyBytes ?? 262_144);
    this.#correlationId = settings.correlationId;
    this.#onFailure = settings.onFailure;
  }

  /** The limits in force. */
  get limits(): ValidationLimits {
    return this.#limits;
  }

  /** Registers a shape under a name; the same name with a different schema needs a new `version`. */
  registerSchema(name: string, schema: Schema, options: SchemaOptions = {}): void {
    this.#schemas.register(name, schema, options);
  }

  /** True when a schema is registered under `name`. */
  hasSchema(name: string): boolean {
    return this.#schemas.has(name);
  }

  /**
   * Checks `value` against the limits, then the schema (latest version unless one is given), then
   * the synchronous business rules. An unknown schema name throws NotFoundError; a bad value never throws.
   */
  validateData<T = unknown>(name: string, value: unknown, options: { version?: number } = {}): ValidationResult<T> {
    const entry = this.#schemas.get(name, options.version);
    const limitIssues = checkLimits(value, this.#limits);
    if (limitIssues.length > 0) return this.#failed(name, limitIssues, NO_WARNINGS);
    const parsed = parseWith(entry, value);
    if (!parsed.ok) return this.#failed(name, parsed.issues, NO_WARNINGS, parsed.omitted);
    const rules = this.#rulesBySchema.get(name);
    if (rules === undefined) return { ok: true, value: parsed.value as T, warnings: NO_WARNINGS };
    const errors = new IssueList();
    const warnings = new IssueList();
    for (const rule of rules) {
      let outcome: RuleOutcome | Promise<RuleOutcome>;
      try {
        outcome = rule.check(parsed.value, { schema: name });
      } catch (error) {
        errors.add([ruleFailure(rule, error)], 0);
        continue;
      }
      if (outcome instanceof Promise) {
        // Keep the promise from going unhandled, then say plainly what to call instead.
        outcome.catch(() => undefined);
        throw new UsageError(
          `Rule "${rule.name}" on "${name}" is asynchronous; validate with validateCrossSystem, which awaits it.`,
        );
      }
      const found = ruleIssues(rule, outcome);
      (rule.severity === 'warning' ? warnings : errors).add(found.issues, found.omitted);
    }
    return errors.issues.length > 0
      ? this.#failed(name, errors.issues, warnings.issues, errors.omitted)
      : { ok: true, value: parsed.value as T, warnings: warnings.issues };
  }

  /** The seed's shortcut: true when `value` passes `validateData`. */
  validate(name: string, value: unknown): boolean {
    return this.validateData(name, value).ok;
  }

  /** Returns the parsed value, or throws a ValidationError (HTTP 422) carrying the issues. */
  assertValid<T = unknown>(name: string, value: unknown): T {
    const result = this.validateData<T>(name, value);
    if (result.ok) return result.value;
    throw validationFailed(name, result, { schema: name });
  }

  /**
   * Everything `validateData` checks, plus every reference rule (one `resolve` call per rule for
   * all the ids of the value) and every business rule, asynchronous ones included.
   */
  async validateCrossSystem<T = unknown>(name: string, value: unknown): Promise<ValidationResult<T>> {
    const entry = this.#schemas.get(name);
    const limitIssues = checkLimits(value, this.#limits);
    if (limitIssues.length > 0) return this.#failed(name, limitIssues, NO_WARNINGS);
    const parsed = parseWith(entry, value);
    if (!parsed.ok) return this.#failed(name, parsed.issues, NO_WARNINGS, parsed.omitted);

    const references = this.#references.filter((r) => r.from === name).map((r) => checkReference(r, parsed.value));
    const rules = (this.#rulesBySchema.get(name) ?? []).map(async (rule) => {
      try {
        return { rule, ...ruleIssues(rule, await rule.check(parsed.value, { schema: name })) };
      } catch (error) {
        return { rule: { ...rule, severity: 'error' as const }, issues: [ruleFailure(rule, error)], omitted: 0 };
      }
    });
    const errors = new IssueList();
    for (const found of await Promise.all(references)) errors.add(found, 0);
    const warnings = new IssueList();
    for (const { rule, issues, omitted } of await Promise.all(rules))
      (rule.severity === 'warning' ? warnings : errors).add(issues, omitted);
    return errors.issues.length > 0
      ? this.#failed(name, errors.issues, warnings.issues, errors.omitted)
      : { ok: true, value: parsed.value as T, warnings: warnings.issues };
  }

  /** Declares that ids at `path` in values of `from` must exist in `to`. */
  registerReference(rule: ReferenceRule): void {
    if (typeof rule.resolve !== 'function')
      throw new ConfigError(`Reference ${rule.from}.${rule.path} has no resolve function.`);
    this.#references.push(compileReference(rule));
  }

  /** Adds a business rule, run after the schema passes; a name registered twice is an error. */
  registerRule<T = unknown>(name: string, rule: BusinessRule<T>): void {
    if (this.#rules.has(name)) throw new ConflictError(`Rule "${name}" is registered already.`);
    const registered = registeredRule(name, rule);
    this.#rules.set(name, registered);
    for (const schema of registered.schemas) {
      const list = this.#rulesBySchema.get(schema) ?? [];
      list.push(registered);
      this.#rulesBySchema.set(schema, list);
    }
  }

  /** The most recent failures (oldest first), for one schema or all. */
  getValidationErrors(name?: string): ValidationFailure[] {
    return this.#failures.list(name);
  }

  /** The registered schema as JSON Schema (draft 2020-12), for API docs and other languages. */
  toJSONSchema(name: string, options: { version?: number } = {}): Record<string, unknown> {
    const entry = this.#schemas.get(name, options.version);
    if (entry.zod === undefined) {
      throw new NotFoundError(`Schema "${name}" is not a Zod schema, so it has no JSON Schema form here.`, {
        details: { schema: name },
      });
    }
    return z.toJSONSchema(entry.zod, { unrepresentable: 'any' });
  }

  /**
   * Lints the wiring of a whole backend: every published event type has a schema, every
   * subscription matches a published type, every reference and rule names registered schemas,
   * and no schema name has two owners.
   */
  validateIntegration(wiring: IntegrationWiring = {}): IntegrationReport {
    return lintIntegration(wiring, {
      schemas: [...this.#schemas.entries()],
      references: this.#references,
      rules: [...this.#rules.values()],
    });
  }

  /** Every registered schema version. */
  schemas(): SchemaEntry[] {
    return [...this.#schemas.entries()];
  }

  /** Records a failure and answers it, keeping at most MAX_ISSUES issues (`omitted`: found before, not kept). */
  #failed(
    name: string,
    found: readonly ValidationIssue[],
    warnings: readonly ValidationIssue[],
    omitted = 0,
  ): ValidationResult<never> {
    const issues = capped(found);
    const omittedIssues = omitted + found.length - issues.length;
    const correlationId = this.#correlationId?.();
    this.#failures.add({
      at: Date.now(),
      name,
      issues,
      omittedIssues,
      ...(correlationId === undefined ? {} : { correlationId }),
    });
    this.#onFailure?.(name, issues);
    return { ok: false, issues, omittedIssues, warnings: capped(warnings) };
  }
}

/** The first MAX_ISSUES issues. */
function capped(issues: readonly ValidationIssue[]): readonly ValidationIssue[] {
  return issues.length > MAX_ISSUES ? issues.slice(0, MAX_ISSUES) : issues;
}

/** Issues gathered from several rules and references: the first MAX_ISSUES, and a count of the rest. */
class IssueList {
  readonly issues: ValidationIssue[] = [];
  omitted = 0;

  /** Adds `found` (and `omitted` more that were found but not kept), keeping at most MAX_ISSUES. */
  add(found: readonly ValidationIssue[], omitted: number): void {
    const room = Math.max(0, MAX_ISSUES - this.issues.length);
    // A loop rather than push(...found): spreading a very long list throws RangeError.
    for (let i = 0; i < Math.min(room, found.length); i++) this.issues.push(found[i] as ValidationIssue);
    this.omitted += omitted + Math.max(0, found.length - room);
  }
}

/**
 * Parses with the schema, mapping at most MAX_ISSUES of its issues (`omitted` counts the rest). A
 * schema that throws on this value (a refinement, a getter read again) is an issue of code `schema`:
 * a bad value never makes validation throw.
 */
function parseWith(
  entry: SchemaEntry,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[]; omitted: number } {
  try {
    if (entry.zod !== undefined) {
      const result = entry.zod.safeParse(value);
      if (result.success) return { ok: true, value: result.data };
      const raw = result.error.issues;
      const issues = (raw.length > MAX_ISSUES ? raw.slice(0, MAX_ISSUES) : raw).map((r) => fromZodIssue(r, value));
      return { ok: false, issues, omitted: raw.length - issues.length };
    }
    const result = entry.schema['~standard'].validate(value);
    if (result instanceof Promise) {
      result.catch(() => undefined);
      throw new UsageError(
        `Schema "${entry.name}" validates asynchronously, which Weft does not support; use a synchronous validator.`,
      );
    }
    if (result.issues === undefined) return { ok: true, value: result.value };
    const issues = result.issues.slice(0, MAX_ISSUES).map(fromStandardIssue);
    return { ok: false, issues, omitted: result.issues.length - issues.length };
  } catch (error) {
    // An asynchronous schema is the caller's bug, whatever the value: say so, as for asynchronous rules.
    if (error instanceof UsageError) throw error;
    if (error instanceof z.core.$ZodAsyncError) {
      throw new UsageError(
        `Schema "${entry.name}" has an asynchronous refinement or transform, which Weft does not support.`,
        { cause: error },
      );
    }
    return {
      ok: false,
      issues: [issue([], 'schema', `Schema "${entry.name}" failed to run on this value: ${errorText(error)}`)],
      omitted: 0,
    };
  }
}
