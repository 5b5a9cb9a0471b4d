// JSON schemas shared by the policy API's routes (fastify validates and serialises with them; the
// OpenAPI document is assembled from them).
import type { FastifySchema } from 'fastify';

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
export const versionParams = {
  type: 'object',
  required: ['id', 'v'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 }, v: { type: 'integer', minimum: 1 } },
} as const;
export const diffQuery = {
  type: 'object',
  required: ['from', 'to'],
  properties: { from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } },
} as const;
export const pageQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, after: { type: 'string' } },
} as const;
export const ifMatchHeaders = { type: 'object', properties: { 'if-match': { type: 'string' } } } as const;
const error = {
  type: 'object',
  properties: { error: { type: 'string' }, issues: { type: 'array' }, actualVersion: { type: 'integer' } },
} as const;
/** Route schemas carry OpenAPI keys (summary, tags…) fastify passes through. */
export const doc = (s: Record<string, unknown>) => s as FastifySchema;
export const errors = { 400: error, 401: error, 404: error, 409: error, 428: error, 503: error } as const;
/** Documents are validated by the store (errors name the field); the JSON schema only checks the shape. */
export const anyObject = { type: 'object', additionalProperties: true } as const;
export const record = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    document: { type: ['object', 'null'], additionalProperties: true },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    deleted: { type: 'boolean' },
    source: {
      type: 'object',
      description:
        'Who manages the document from this version on (the API when absent): kubernetes versions name the resource version they came from',
      properties: {
        managedBy: { type: 'string', enum: ['kubernetes', 'api'] },
        resourceVersion: { type: 'string' },
        uid: { type: 'string' },
        generation: { type: 'integer' },
      },
    },
  },
} as const;
export const recordList = { type: 'object', properties: { items: { type: 'array', items: record }, next: { type: 'string' } } } as const;
export const writeBody = {
  type: 'object',
  required: ['document'],
  properties: { id: { type: 'string' }, document: anyObject, expectedVersion: { type: 'integer', minimum: 0 } },
} as const;
