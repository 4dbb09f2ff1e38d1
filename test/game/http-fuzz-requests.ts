// Requests generated from a route's own zod schemas: valid ones, and mutations of them a hostile client would send.
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { z } from 'zod';
import { arbitraryFor, leafPaths, replaceAt } from '../validation/json-schema-arbitrary.js';
import type { RouteRequestSchemas } from './http-harness.js';

/** A route to fuzz: its pattern and schemas, who calls it, and the values a valid call starts from. */
export interface FuzzRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: RouteRequestSchemas;
  /** Takes an `Idempotency-Key` header. */
  readonly idempotent: boolean;
  /** The caller's token. */
  readonly headers: Readonly<Record<string, string>>;
  /** Path parameters that name real things (the caller's character, a quest, an NPC). */
  readonly params: Readonly<Record<string, string>>;
  /** A body that reaches the command, when the route takes one. */
  readonly body: object | undefined;
}

/** One generated request, and what it must be answered with when it is one the route must refuse. */
export interface FuzzRequest {
  readonly request: InjectOptions;
  /** What is wrong with it (undefined: nothing the route's schemas refuse). */
  readonly flaw: string | undefined;
  /** The statuses a refusal may have. */
  readonly refusedWith: readonly number[];
}

interface Parts {
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly query: Readonly<Record<string, string | string[]>>;
}

type Mutation = (parts: Parts, route: FuzzRoute) => FuzzRequest;

/** Values of the wrong kind, or of the right kind out of every range a count or id may have. */
const ODD_VALUES: readonly unknown[] = [
  null,
  true,
  [],
  {},
  '',
  'x',
  -1,
  0,
  1.5,
  -0.5,
  2 ** 53,
  1e308,
  -1e308,
  'x'.repeat(1000),
  '\u0000',
  '\ud800',
  [1, 2, 3],
  { nested: { deeper: true } },
];
const ODD_PARAMS = ['x'.repeat(65), 'x'.repeat(150), '', '%', ' ', '..', '\u0000', 'é', '<script>', '{}'];
const ODD_QUERY_VALUES: ReadonlyArray<string | string[]> = [
  'abc',
  '',
  '0',
  '-1',
  '1.5',
  '1e309',
  '999999999999999999999',
  'NaN',
  ['1', '2'],
  'x'.repeat(300),
];
const ODD_KEYS = ['has space', 'x'.repeat(201), 'tab\there', ''];

const zodOf = (schema: unknown): z.ZodType | undefined => (schema instanceof z.ZodType ? schema : undefined);
const accepts = (schema: unknown, value: unknown): boolean => zodOf(schema)?.safeParse(value).success ?? true;

/** Values a zod schema accepts, through its JSON Schema. */
function valuesOf(schema: z.ZodType): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return arbitraryFor(json as Parameters<typeof arbitraryFor>[0]);
}

/** Query values as a query string carries them: text. */
const asQuery = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));

/** Path parameters as URL text (Fastify decodes them again). */
function fill(pattern: string, params: Readonly<Record<string, string>>): string {
  return pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/** Requests a route's schemas accept: mostly the real values, sometimes anything of the right shape. */
function validParts(route: FuzzRoute): fc.Arbitrary<Parts> {
  const params = zodOf(route.schema.params);
  const body = zodOf(route.schema.body);
  const query = zodOf(route.schema.querystring);
  const sample = route.body;
  return fc.record({
    params:
      params === undefined
        ? fc.constant(route.params)
        : fc.oneof(
            { arbitrary: fc.constant(route.params), weight: 3 },
            { arbitrary: valuesOf(params).map(asQuery), weight: 1 },
          ),
    body:
      body === undefined
        ? fc.constant(undefined)
        : sample === undefined
          ? valuesOf(body)
          : fc.oneof({ arbitrary: fc.constant(sample), weight: 2 }, { arbitrary: valuesOf(body), weight: 1 }),
    query: query === undefined ? fc.constant({}) : valuesOf(query).map(asQuery),
  });
}

function request(route: FuzzRoute, parts: Parts, extra: Partial<InjectOptions> = {}): InjectOptions {
  const { headers, ...rest } = extra;
  return {
    method: route.method as InjectOptions['method'],
    url: fill(route.url, parts.params),
    query: { ...parts.query },
    headers: { ...route.headers, ...headers },
    ...(parts.body === undefined ? {} : { payload: parts.body as object }),
    ...rest,
  };
}

/** A valid request of the route. */
export function validRequest(route: FuzzRoute): fc.Arbitrary<FuzzRequest> {
  return validParts(route).map((parts) => ({ request: request(route, parts), flaw: undefined, refusedWith: [] }));
}

/** A body mutated so: the route refuses it exactly when its schema does. */
function bodyAs(route: FuzzRoute, parts: Parts, body: unknown, flaw: string): FuzzRequest {
  return {
    request: request(
      route,
      { ...parts, body },
      { payload: JSON.stringify(body) ?? 'null', headers: { 'content-type': 'application/json' } },
    ),
    flaw: accepts(route.schema.body, body) ? undefined : flaw,
    refusedWith: [422],
  };
}

function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const leafOf = (body: unknown, n: number) => {
  const paths = leafPaths(body).filter((path) => path.length > 0);
  return paths.length === 0 ? undefined : paths[n % paths.length];
};

/** Body mutations: wrong types and ranges at a leaf, keys missing or added, deep nesting, oversize text. */
function bodyMutations(): Array<fc.Arbitrary<Mutation>> {
  return [
    fc.tuple(fc.nat(), fc.constantFrom(...ODD_VALUES)).map(([n, odd]) => (parts, route) => {
      const path = leafOf(parts.body, n);
      return path === undefined
        ? bodyAs(route, parts, odd, `the body is ${JSON.stringify(odd)}`)
        : bodyAs(route, parts, replaceAt(parts.body, path, odd), `${path.join('.')} is ${JSON.stringify(odd)}`);
    }),
    fc.nat().map((n) => (parts, route) => {
      // A route that takes no body may be sent `null`: nothing to drop from it.
      const body = typeof parts.body === 'object' && parts.body !== null ? parts.body : {};
      const keys = Object.keys(body);
      const dropped = keys[n % Math.max(keys.length, 1)];
      const rest = Object.fromEntries(Object.entries(body).filter(([k]) => k !== dropped));
      return bodyAs(route, parts, rest, `${dropped} is missing`);
    }),
    // `__proto__` and `constructor` are the poisoned-key cases below (refused with 400 by the body parser, before any
    // schema), at any depth: drawn here, as the key or inside its value, they would be counted as unknown keys, which
    // get a 422.
    fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !POISONED_KEYS.has(key)),
        fc.jsonValue({ maxDepth: 2 }).filter((value) => !holdsPoisonedKey(value)),
      )
      .map(
        ([key, value]) =>
          (parts, route) =>
            bodyAs(route, parts, { ...(parts.body as object), [key]: value }, `an unknown key ${JSON.stringify(key)}`),
      ),
    fc
      .constantFrom(null, [], 'text', 42, true)
      .map((body) => (parts, route) => bodyAs(route, parts, body, 'no object')),
    fc
      .tuple(fc.nat(), fc.integer({ min: 50, max: 3000 }), fc.constantFrom('array' as const, 'object' as const))
      .map(([n, depth, kind]) => (parts, route) => {
        const path = leafOf(parts.body, n) ?? [];
        return bodyAs(route, parts, replaceAt(parts.body, path, nested(depth, kind)), `${kind}s ${depth} deep`);
      }),
    fc.tuple(fc.nat(), fc.integer({ min: 70_000, max: 200_000 })).map(([n, size]) => (parts, route) => {
      const body = replaceAt(parts.body, leafOf(parts.body, n) ?? [], 'x'.repeat(size));
      // Sent as JSON whatever it became (a bare string, where the body was `null`): the size is what is refused.
      const json = { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
      return { request: request(route, { ...parts, body }, json), flaw: `${size} characters`, refusedWith: [413] };
    }),
  ];
}

/** Bodies no JSON route may take, on any route that reads a body: bad JSON, prototype keys, other media types. */
function transportMutations(): Array<fc.Arbitrary<Mutation>> {
  const raw = (payload: string, contentType: string, flaw: string, refusedWith: number[]): Mutation => {
    return (parts, route) => ({
      request: request(route, { ...parts, body: undefined }, { payload, headers: { 'content-type': contentType } }),
      flaw,
      refusedWith,
    });
  };
  const poisoned = (key: string, value: string): Mutation => {
    return (parts, route) => {
      const rest = JSON.stringify(parts.body ?? {}).slice(1);
      const payload = `{${JSON.stringify(key)}:${value}${rest === '}' ? '' : ','}${rest}`;
      return raw(payload, 'application/json', `a ${key} key`, [400])(parts, route);
    };
  };
  return [
    fc.constant(raw('', 'application/json', 'an empty JSON body', [400])),
    fc
      .constantFrom('not json{', '{"a":', '{"a":1}}', "{'a':1}", '\u0000')
      .map((text) => raw(text, 'application/json', `bad JSON ${JSON.stringify(text)}`, [400])),
    fc.constant(raw('hello', 'text/plain', 'text', [415])),
    fc.constant(raw('a=1&b=2', 'application/x-www-form-urlencoded', 'a form', [415])),
    fc.constant(raw('<a/>', 'application/xml', 'XML', [415])),
    fc.constant(poisoned('__proto__', '{"isAdmin":true}')),
    fc.constant(poisoned('constructor', '{"prototype":{"isAdmin":true}}')),
  ];
}

/** A path parameter out of range or of odd characters. */
function paramMutation(): fc.Arbitrary<Mutation> {
  return fc.tuple(fc.nat(), fc.constantFrom(...ODD_PARAMS)).map(([n, odd]) => (parts, route) => {
    const names = Object.keys(parts.params);
    const name = names[n % names.length]!;
    const params = { ...parts.params, [name]: odd };
    return {
      request: request(route, { ...parts, params }),
      flaw: accepts(route.schema.params, params) ? undefined : `:${name} is ${JSON.stringify(odd)}`,
      // An empty segment matches no route (404); one longer than Fastify's parameter limit is a 414.
      refusedWith: [422, 404, 414],
    };
  });
}

/** A path parameter that is not valid percent-encoding, or not UTF-8 once decoded, sent as it is. */
function rawParamMutation(): fc.Arbitrary<Mutation> {
  return fc
    .tuple(fc.nat(), fc.constantFrom('%', '%zz', '%ED%A0%80', '%C0%AF', '%FF'))
    .map(([n, raw]) => (parts, route) => {
      const names = Object.keys(parts.params);
      const name = names[n % names.length]!;
      const url = fill(route.url, { ...parts.params, [name]: 'RAW' }).replace('RAW', raw);
      return { request: { ...request(route, parts), url }, flaw: `:${name} is ${raw} undecoded`, refusedWith: [400] };
    });
}

/** A query value of the wrong kind or range, or a key the route does not take. */
function queryMutation(schema: z.ZodType): fc.Arbitrary<Mutation> {
  const keys = Object.keys(z.toJSONSchema(schema, { io: 'input' }).properties ?? {});
  return fc
    .tuple(fc.constantFrom(...keys, 'zzz'), fc.constantFrom(...ODD_QUERY_VALUES))
    .map(([key, odd]) => (parts, route) => {
      const query = { ...parts.query, [key]: odd };
      return {
        request: request(route, { ...parts, query }),
        flaw: accepts(schema, query) ? undefined : `?${key}=${JSON.stringify(odd)}`,
        refusedWith: [422],
      };
    });
}

/** An Idempotency-Key that is not one. */
function keyMutation(): fc.Arbitrary<Mutation> {
  return fc.constantFrom(...ODD_KEYS).map((key) => (parts, route) => ({
    request: request(route, parts, { headers: { 'idempotency-key': key } }),
    flaw: `Idempotency-Key ${JSON.stringify(key)}`,
    refusedWith: [422],
  }));
}

/** Mutated requests of the route, or undefined when it has nothing to mutate (a GET without parameters). */
export function mutatedRequest(route: FuzzRoute): fc.Arbitrary<FuzzRequest> | undefined {
  const query = zodOf(route.schema.querystring);
  const mutations = [
    ...(zodOf(route.schema.body) === undefined ? [] : bodyMutations()),
    ...(route.method === 'GET' ? [] : transportMutations()),
    ...(zodOf(route.schema.params) === undefined ? [] : [paramMutation(), rawParamMutation()]),
    ...(query === undefined ? [] : [queryMutation(query)]),
    ...(route.idempotent ? [keyMutation()] : []),
  ];
  if (mutations.length === 0) return undefined;
  return fc.tuple(validParts(route), fc.oneof(...mutations)).map(([parts, mutate]) => mutate(parts, route));
}

/** Keys the body parser refuses wherever they appear in a JSON body (prototype poisoning). */
const POISONED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

/** Whether a JSON value has a poisoned key at any depth (fast-check's `jsonValue` draws `__proto__` on purpose). */
function holdsPoisonedKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsPoisonedKey);
  if (typeof value !== 'object' || value === null) return false;
  return Object.keys(value).some(
    (key) => POISONED_KEYS.has(key) || holdsPoisonedKey((value as Record<string, unknown>)[key]),
  );
}
