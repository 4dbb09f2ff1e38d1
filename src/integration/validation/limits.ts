/** Bounds every value is checked against before its schema, so hostile input costs little and never hangs. */
export interface ValidationLimits {
  /** Approximate size of the value serialized as JSON. */
  readonly maxBytes: number;
  /** Nesting of objects and arrays. */
  readonly maxDepth: number;
  readonly maxArrayLength: number;
  readonly maxStringLength: number;
  /** Keys of one object. */
  readonly maxKeys: number;
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxBytes: 1_000_000,
  maxDepth: 32,
  maxArrayLength: 10_000,
  maxStringLength: 100_000,
  maxKeys: 1_000,
};

/** Checks a limits override, filling the rest from the defaults. */
export function resolveLimits(overrides: Partial<ValidationLimits> | undefined): ValidationLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
