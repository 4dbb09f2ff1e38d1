/**
 * What the OpenAPI document says of each route beyond its zod schemas: the errors it can answer
 * (problem documents) and, for the routes that take one, the `Idempotency-Key` header. Only the
 * document says so: the routes keep their own schemas, so neither request validation nor reply
 * serialization changes.
 */
import type { SwaggerTransform } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { IDEMPOTENCY_KEY } from './game-api.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** The error statuses the document lists by name; any other error is the `default` response. */
type ErrorStatus = 401 | 403 | 404 | 422 | 429;

/** What a route adds to its operation: found in `transform` (which sees the route), written in `transformObject`. */
interface RouteNotes {
  readonly idempotent: boolean;
  readonly errors: readonly ErrorStatus[];
  /** Answers an ETag, and 304 to a matching If-None-Match. */
  readonly etag: boolean;
  /** Its body schema accepts no body at all (a route that takes none, or an optional one). */
  readonly optionalBody: boolean;
  /** Responses and request body the route declares for the document only (`config.openapi`). */
  readonly documented?: {
    readonly responses?: Readonly<Record<string, object>>;
    readonly requestBody?: Readonly<Record<string, unknown>>;
  };
}

/**
 * The key the notes ride under from a route's transform to the built document (@fastify/swagger copies
 * a schema's `x-` keys onto its operation), where they are replaced by what they say.
 */
const NOTES = 'x-weft-route';

/**
 * `transform` of @fastify/swagger: the zod schemas as JSON Schema (fastify-type-provider-zod), plus
 * the notes of the route, read from its options. `hasAccounts`: whether the app has accounts, so
 * that the operator guard refuses a signed-in player with 403 (operator-access.ts).
 */
export function routeTransform(hasAccounts: () => boolean): SwaggerTransform {
  return (document) => {
    const transformed = jsonSchemaTransform(document);
    if (transformed.schema.hide === true) return transformed;
    const notes = routeNotes(document.route, hasAccounts());
    return { ...transformed, schema: { ...transformed.schema, [NOTES]: notes } };
  };
}

/**
 * The error statuses a route answers as far as its options tell: 401 and 403 from its access check,
 * 404 where its path names something, 422 where it validates input, 429 where it is rate limited.
 */
function routeNotes(route: RouteOptions, hasAccounts: boolean): RouteNotes {
  const config = route.config ?? {};
  const schema = route.schema ?? {};
  const idempotent = config.idempotent === true;
  const errors = new Set<ErrorStatus>();
  if (config.operator === true) {
    // The operator guard (operator-access.ts) forbids only a signed-in player, so only where there are accounts.
    errors.add(401);
    if (hasAccounts) errors.add(403);
  } else if (config.access === 'player' || config.access === 'admin') {
    // A game route's access check (request-actor.ts): 401 without a valid token, 403 for a player on an admin route.
    errors.add(401);
    if (config.access === 'admin') errors.add(403);
  }
  // A path parameter (`:id`) names something that may not be there.
  if (/:[A-Za-z_]/.test(route.url)) errors.add(404);
  // An Idempotency-Key that is not one, or reused for another body, is a 422 too.
  if (schema.body !== undefined || schema.params !== undefined || schema.querystring !== undefined || idempotent) {
    errors.add(422);
  }
  if ((config.rateLimit !== undefined && config.rateLimit !== false) || config.limited === true) errors.add(429);
  return {
    idempotent,
    errors: [...errors].sort((a, b) => a - b),
    etag: config.etag === true,
    optionalBody: acceptsNoBody(schema.body),
    ...(config.openapi === undefined ? {} : { documented: config.openapi }),
  };
}

/**
 * Whether a route's body schema (zod) lets a request without a body through. @fastify/swagger marks every
 * `requestBody` required, which is wrong for such a route: a client generated from the document would have to send one.
 */
function acceptsNoBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || !('safeParse' in body)) return false;
  const parse = (body as { safeParse: (value: unknown) => { success: boolean } }).safeParse;
  return typeof parse === 'function' && parse.call(body, undefined).success;
}

/** The pattern of an `Idempotency-Key`: the one game-api.ts checks it with. */
const IDEMPOTENCY_KEY_PATTERN = IDEMPOTENCY_KEY.source;

const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe. A repeat with the same key from the same user returns the first response, with ' +
    '`Idempotent-Replayed: true`, and changes nothing again; the same key with another body is a 422. ' +
    'Without it the command simply runs.',
  schema: { type: 'string', minLength: 1, maxLength: 200, pattern: IDEMPOTENCY_KEY_PATTERN },
};

const ETAG_HEADER = {
  description: 'A hash of the content: send it back as If-None-Match to get a 304 while it has not changed.',
  schema: { type: 'string' },
};

const IF_NONE_MATCH_PARAMETER = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'ETags of copies the caller holds (RFC 9110: `*`, or a list, compared weakly): a match answers 304.',
  schema: { type: 'string' },
};

const NOT_MODIFIED = {
  description: 'Not Modified: If-None-Match matched the current ETag; no body.',
  headers: { ETag: ETAG_HEADER },
};

const IDEMPOTENT_REPLAYED_HEADER = {
  description: '`true` when this is the stored first response to the same Idempotency-Key; absent otherwise.',
  schema: { type: 'string', enum: ['true'] },
};

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** One validation issue (src/integration/errors/weft-error.ts `ValidationIssue`). */
const VALIDATION_ISSUE_SCHEMA = {
  type: 'object',
  description: 'One problem with the input, at its path.',
  required: ['path', 'pathText', 'code', 'message'],
  properties: {
    path: {
      type: 'array',
      items: { type: ['string', 'integer'] },
      description:
        'Keys and indexes from the root of the input to the value; for a request that failed its schema, the first is where: body, params, querystring or headers.',
    },
    pathText: { type: 'string', description: 'The path as text: `$.body.inputs[2].itemId`.' },
    code: { type: 'string', description: 'What kind of problem: `invalid_type`, `too_big`, `invalid_key`, ...' },
    message: { type: 'string' },
    expected: { type: 'string', description: 'What was accepted, in words, when known.' },
    received: { type: 'string', description: 'What was found, shortened, when known.' },
  },
};

/** The body of every error response (src/server/problem.ts `Problem`). */
const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'An RFC 9457 problem document, the body of every error response (application/problem+json).',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
  properties: {
    type: { type: 'string', description: '`urn:weft:error:<code>`.' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status.' },
    detail: { type: 'string', description: 'What went wrong, for a person; never driver text.' },
    code: { type: 'string', description: 'A stable code to branch on: `WEFT_NOT_FOUND`, `WEFT_VALIDATION`, ...' },
    instance: { type: 'string', description: "The request's URL." },
    issues: {
      type: 'array',
      items: { $ref: '#/components/schemas/ValidationIssue' },
      description: 'For a 422: every issue, with its path (the first 100).',
    },
    omittedIssues: {
      type: 'integer',
      minimum: 1,
      description: 'For a 422: how many issues there were beyond `issues`.',
    },
  },
};

const ERROR_DESCRIPTIONS: Readonly<Record<ErrorStatus, string>> = {
  401: 'Not signed in, or the access token is not valid.',
  403: 'Signed in, but without the admin role.',
  404: "What the path names does not exist, or is not the caller's.",
  422: 'The request is not valid; `issues` lists each problem at its path.',
  429: 'Too many requests; `Retry-After` says how many seconds to wait.',
};

function problemResponse(description: string, headers?: Record<string, unknown>): ResponseObject {
  return {
    description,
    ...(headers === undefined ? {} : { headers }),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
  };
}

const ERROR_RESPONSES: Readonly<Record<ErrorStatus, ResponseObject>> = {
  401: problemResponse(ERROR_DESCRIPTIONS[401]),
  403: problemResponse(ERROR_DESCRIPTIONS[403]),
  404: problemResponse(ERROR_DESCRIPTIONS[404]),
  422: problemResponse(ERROR_DESCRIPTIONS[422]),
  429: problemResponse(ERROR_DESCRIPTIONS[429], {
    'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 0 } },
  }),
};

const IDEMPOTENT_422 = problemResponse(
  `${ERROR_DESCRIPTIONS[422]} Also an Idempotency-Key that is not one, or that was used with another body.`,
);

const DEFAULT_RESPONSE = problemResponse(
  'Any other error (400, 405, 409, 413, 415, 500, 503, ...), as a problem document.',
);

/** The parts of an OpenAPI response and operation this file reads and writes. */
interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}
interface Operation {
  readonly parameters?: readonly unknown[];
  readonly requestBody?: { readonly required?: boolean; readonly [key: string]: unknown };
  readonly responses?: Readonly<Record<string, ResponseObject>>;
  readonly [NOTES]?: RouteNotes;
  readonly [key: string]: unknown;
}

/** The parts of an OpenAPI document this file reads and writes. */
interface OpenApiObject {
  readonly paths?: object;
  readonly components?: { readonly schemas?: object };
}

/**
 * For `transformObject` of @fastify/swagger: writes each route's notes into its operation (the header
 * parameter, the replay header on success, the problem responses) and adds the `Problem` schema.
 */
export function withRouteNotes<T extends OpenApiObject>(openapi: T): T {
  const paths = Object.fromEntries(
    Object.entries(openapi.paths ?? {}).map(([path, item]: [string, object | undefined]) => [
      path,
      Object.fromEntries(
        Object.entries(item ?? {}).map(([key, value]) => [key, isNoted(value) ? withNotes(value) : value]),
      ),
    ]),
  );
  const schemas = { ...openapi.components?.schemas, Problem: PROBLEM_SCHEMA, ValidationIssue: VALIDATION_ISSUE_SCHEMA };
  return { ...openapi, paths, components: { ...openapi.components, schemas } };
}

function isNoted(value: unknown): value is Operation & { readonly [NOTES]: RouteNotes } {
  return typeof value === 'object' && value !== null && NOTES in value;
}

function withNotes(operation: Operation & { readonly [NOTES]: RouteNotes }): Operation {
  const { [NOTES]: notes, ...rest } = operation;
  const responses: Record<string, ResponseObject> = {};
  for (const [status, given] of Object.entries(operation.responses ?? {})) {
    const success = /^2/.test(status);
    // The generator calls every answer "Default Response"; the route's summary says what a success is.
    const summary = typeof operation.summary === 'string' ? operation.summary : undefined;
    const response =
      success && given.description === 'Default Response' && summary !== undefined
        ? { ...given, description: summary }
        : given;
    const headers = {
      ...response.headers,
      ...(notes.idempotent && success ? { 'Idempotent-Replayed': IDEMPOTENT_REPLAYED_HEADER } : {}),
      ...(notes.etag && success ? { ETag: ETAG_HEADER } : {}),
    };
    responses[status] = Object.keys(headers).length === 0 ? response : { ...response, headers };
  }
  if (notes.etag) responses['304'] ??= NOT_MODIFIED;
  // What a route without zod schemas declares replaces the generator's bare "Default Response".
  for (const [status, response] of Object.entries(notes.documented?.responses ?? {})) {
    responses[status] = response as ResponseObject;
  }
  for (const status of notes.errors) {
    responses[status] ??= status === 422 && notes.idempotent ? IDEMPOTENT_422 : ERROR_RESPONSES[status];
  }
  responses.default ??= DEFAULT_RESPONSE;
  const parameters = [
    ...(notes.idempotent ? [IDEMPOTENCY_KEY_PARAMETER] : []),
    ...(notes.etag ? [IF_NONE_MATCH_PARAMETER] : []),
  ];
  return {
    ...rest,
    ...(parameters.length === 0 ? {} : { parameters: [...(operation.parameters ?? []), ...parameters] }),
    ...(notes.optionalBody && operation.requestBody !== undefined
      ? { requestBody: { ...operation.requestBody, required: false } }
      : {}),
    ...(operation.requestBody === undefined && notes.documented?.requestBody !== undefined
      ? { requestBody: notes.documented.requestBody }
      : {}),
    responses,
  };
}
