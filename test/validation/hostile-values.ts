import fc from 'fast-check';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** An object whose property `key` throws when read. */
function throwingGetter(key: string, message: string): object {
  return Object.defineProperty({ fine: 1 }, key, {
    enumerable: true,
    get: () => {
      throw new Error(message);
    },
  });
}

/** A Proxy over `target` whose every trap throws. */
function throwingProxy(target: object): object {
  const trap = (name: string) => () => {
    throw new Error(`${name} trap`);
  };
  return new Proxy(target, {
    get: trap('get'),
    has: trap('has'),
    ownKeys: trap('ownKeys'),
    getPrototypeOf: trap('getPrototypeOf'),
    getOwnPropertyDescriptor: trap('getOwnPropertyDescriptor'),
  });
}

/** A Proxy that can no longer be used: every operation on it throws, even `Array.isArray`. */
function revokedProxy(target: object): object {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/**
 * A hostile value to make, described: fast-check reads the values it generates (it looks for a clone
 * method), which a revoked Proxy or a throwing trap would not survive, so they are made only by
 * `materialize`, inside the property.
 */
class Hostile {
  constructor(readonly make: () => unknown) {}
}

/** Values that are not JSON data and can bite whoever reads them. */
const hostileLeaf: fc.Arbitrary<Hostile> = fc.oneof(
  fc.tuple(fc.integer(), fc.integer()).map(([x, y]) => new Hostile(() => new Point(x, y))),
  fc.jsonValue().map((inherited) => new Hostile(() => Object.create({ inherited }) as unknown)),
  fc.tuple(fc.string(), fc.string()).map(([key, message]) => new Hostile(() => throwingGetter(key, message))),
  fc.jsonValue().map((value) => new Hostile(() => throwingProxy({ value }))),
  fc.array(fc.integer()).map((items) => new Hostile(() => throwingProxy(items))),
  fc.jsonValue().map((value) => new Hostile(() => new Proxy({ value }, {}))),
  fc.array(fc.integer()).map((items) => new Hostile(() => revokedProxy(items))),
  fc
    .constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, -0, 10n, Symbol('s'), () => 1, undefined)
    .map((value) => new Hostile(() => value)),
  fc.integer({ min: 0, max: 64 }).map((length) => new Hostile(() => new Float32Array(length))),
);

/**
 * Anything fast-check makes (Map, Set, Date, BigInt, typed and sparse arrays, null prototypes,
 * boxed values), with hostile values among the leaves and at the root: pass it through
 * `materialize` to make them.
 */
export const hostileJunk: fc.Arbitrary<unknown> = fc.oneof(
  hostileLeaf,
  fc.anything({
    withNullPrototype: true,
    withObjectString: true,
    withMap: true,
    withSet: true,
    withBigInt: true,
    withDate: true,
    withTypedArray: true,
    withSparseArray: true,
    withBoxedValues: true,
    values: [fc.jsonValue(), hostileLeaf],
  }),
);

/** `junk` with each described hostile value made, in arrays (holes kept) and plain objects. */
export function materialize(junk: unknown): unknown {
  if (junk instanceof Hostile) return junk.make();
  if (Array.isArray(junk)) {
    const made = new Array<unknown>(junk.length);
    for (let i = 0; i < junk.length; i++) if (i in junk) made[i] = materialize(junk[i]);
    return made;
  }
  if (typeof junk !== 'object' || junk === null) return junk;
  const proto: unknown = Object.getPrototypeOf(junk);
  if (proto !== Object.prototype && proto !== null) return junk;
  const made = Object.create(proto) as Record<string, unknown>;
  for (const [key, item] of Object.entries(junk)) made[key] = materialize(item);
  return made;
}

/**
 * What `value` is as JSON data, to compare with what JSON reads back: properties holding undefined
 * left out, objects with the ordinary prototype. Other values are kept as they are, so anything
 * JSON would change still differs.
 */
export function jsonView(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonView);
  if (typeof value !== 'object' || value === null) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const plain: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) plain[key] = jsonView(item);
  return plain;
}
