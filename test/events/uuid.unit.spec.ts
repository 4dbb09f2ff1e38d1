import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from 'weft/internal';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is an RFC 9562 version 7 id carrying the millisecond it was made in', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        const id = uuidv7(ms);
        expect(id).toMatch(FORMAT);
        expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(ms);
      }),
    );
  });

  it('sorts in creation order and never repeats, even thousands within one millisecond', () => {
    const now = Date.now() + 60_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(FORMAT);
  });
});
