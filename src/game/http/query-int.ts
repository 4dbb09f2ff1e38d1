import { z } from 'zod';

/**
 * A whole number in a query string, from `min` to `max`, written in digits: a number coercion would also take `0x10`,
 * `1e2` and ` 5 `, and read an empty `?limit=` as 0. With `fallback`, an absent one is that number.
 */
export function queryInt(min: number, max: number): ReturnType<typeof digits>;
export function queryInt(min: number, max: number, fallback: number): z.ZodDefault<ReturnType<typeof digits>>;
export function queryInt(min: number, max: number, fallback?: number) {
  const int = digits(min, max, fallback);
  return fallback === undefined ? int : int.default(fallback);
}

function digits(min: number, max: number, fallback: number | undefined) {
  return (
    z
      .string()
      .regex(/^\d{1,9}$/, 'a whole number in digits')
      // The OpenAPI document shows what a request sends, which a transform hides: without this, a bare pattern with no
      // range, and no default (zod drops a default from a transforming schema's input, so it is said here instead).
      .meta({
        type: 'integer',
        minimum: min,
        maximum: max,
        pattern: undefined,
        ...(fallback === undefined ? {} : { default: fallback }),
      })
      .transform(Number)
      .pipe(z.int().min(min).max(max))
  );
}
