import {
  loadContent,
  type BusinessRule,
  type ContentSpec,
  type ReferenceRule,
  type Schema,
  type SchemaOptions,
  type ValidationManager,
  type ValidationResult,
} from '../validation/internal.js';

/**
 * A system's schemas and rules, in the shared registry under its name: `register('recipe', ...)`
 * of `crafting` is the schema `crafting.recipe`, owned by crafting.
 */
export class SystemValidation {
  readonly #system: string;
  readonly #validation: ValidationManager;

  constructor(system: string, validation: ValidationManager) {
    this.#system = system;
    this.#validation = validation;
  }

  /** Registers `system.name` (a new version needs `version`); returns the full name. */
  register(name: string, schema: Schema, options: Pick<SchemaOptions, 'version'> = {}): string {
    const full = `${this.#system}.${name}`;
    this.#validation.registerSchema(full, schema, { ...options, owner: this.#system });
    return full;
  }

  /**
   * Checks a value against a schema (a full name, or one of this system's by its short name): the parsed value or every
   * issue.
   */
  validate<T = unknown>(name: string, value: unknown): ValidationResult<T> {
    return this.#validation.validateData<T>(this.#fullName(name), value);
  }

  /** Like `validate`, throwing a ValidationError (422) with every issue. */
  assertValid<T = unknown>(name: string, value: unknown): T {
    return this.#validation.assertValid<T>(this.#fullName(name), value);
  }

  /** A reference from one schema's field to another's ids (`crafting.recipe.inputs[].itemId` -> `data.item`). */
  reference(rule: ReferenceRule): void {
    this.#validation.registerReference(rule);
  }

  /** A business rule over one or more schemas, named `system.name`. */
  rule<T = unknown>(name: string, rule: BusinessRule<T>): void {
    this.#validation.registerRule(`${this.#system}.${name}`, rule);
  }

  /**
   * Loads a folder of content files (`<collection>.json`, each an array of records) through the
   * content loader: every record checked against its schema (this system's short names, or full
   * names), the references between collections resolved, `checks` run; one ContentError lists
   * every problem with its file and path.
   */
  async loadContent<C extends Record<string, string>>(
    folder: string,
    spec: ContentSpec & { readonly collections: C },
  ): Promise<{ [K in keyof C]: unknown[] }> {
    const collections = Object.fromEntries(
      Object.entries(spec.collections).map(([collection, schema]) => [collection, this.#fullName(schema)]),
    ) as C;
    return loadContent(this.#validation, folder, { ...spec, collections });
  }

  #fullName(name: string): string {
    return name.includes('.') ? name : `${this.#system}.${name}`;
  }
}
