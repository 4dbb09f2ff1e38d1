import { z } from 'zod';

/**
 * A whole number in a query string, from `min` to `max`, written in digits: a number coercion would also take `0x10`,
 * `1e2` and ` 5 `, and read an empty `?limit=` as 0.
 */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'a whole number in digits')
    .transform(Number)
    .pipe(z.int().min(min).max(max));
}
