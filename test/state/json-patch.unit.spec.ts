import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, diff } from '../../src/integration/state/json-patch.js';

describe('JSON patch of state versions', () => {
  it('turns any JSON value into any other', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (before, after) => {
        expect(applyPatch(before, diff(before, after))).toEqual(after);
      }),
    );
  });

  it('names only what changed, with RFC 6901 escapes', () => {
    expect(diff({ gold: 5, items: ['sword'], 'a/b~c': 1 }, { gold: 7, items: ['sword'], name: 'ann' })).toEqual([
      { op: 'remove', path: '/a~1b~0c' },
      { op: 'replace', path: '/gold', value: 7 },
      { op: 'add', path: '/name', value: 'ann' },
    ]);
    expect(diff({ a: 1 }, { a: 1 })).toEqual([]);
    // Keys that objects inherit are data like any other.
    expect(applyPatch({ toString: {} }, diff({ toString: {} }, {}))).toEqual({});
    expect(applyPatch({}, diff({}, JSON.parse('{"__proto__": {"gold": 1}}')))).toEqual(
      JSON.parse('{"__proto__": {"gold": 1}}'),
    );
  });
});
