import { LOG_LEVELS } from '../integration/internal.js';

// What the OpenAPI document says of the operator routes, which have no zod schemas (config.openapi): the document
// only; their answers are made and checked by hand in operator-routes.ts and log-level-change.ts.

const HEALTH_REPORT = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['up', 'degraded', 'down'] },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['status'],
        properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] } },
      },
    },
  },
};

export const HEALTH_RESPONSES = {
  200: {
    description: 'Up or degraded: the state of each check',
    content: { 'application/json': { schema: HEALTH_REPORT } },
  },
  503: { description: 'Down: the state of each check', content: { 'application/json': { schema: HEALTH_REPORT } } },
};

export const LIVE_RESPONSES = {
  200: jsonObject('The process answers', {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up'] } },
  }),
};

export const METRICS_RESPONSES = {
  200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: { type: 'string' } } } },
};

/** A 200 of JSON, an object unless a schema says more. */
export function jsonObject(description: string, schema: object = { type: 'object' }): object {
  return { description, content: { 'application/json': { schema } } };
}

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** `PUT /logs/levels/:system`, checked by hand (log-level-change.ts), as the document shows it. */
export const LEVEL_CHANGE_OPENAPI = {
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['level'],
          properties: { level: { type: 'string', enum: [...LOG_LEVELS] } },
          additionalProperties: false,
        },
      },
    },
  },
  responses: {
    200: {
      description: 'The level now in force',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['system', 'level'],
            properties: { system: { type: 'string' }, level: { type: 'string', enum: [...LOG_LEVELS] } },
          },
        },
      },
    },
    400: { description: 'The body is not a JSON object.', content: PROBLEM },
    422: { description: 'Not a system name, not a log level, or a field other than `level`.', content: PROBLEM },
  },
};
