// JSON schemas of the watcher's HTTP API: the notification bodies it accepts (Distribution events,
// Harbor webhooks), the `:name` of a per-registry endpoint, and what it answers. fastify validates
// requests and serialises answers with them.
const DIGEST = '^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$';

export const distributionBody = {
  type: 'object',
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['action', 'target'],
        properties: {
          id: { type: 'string' },
          timestamp: { type: 'string' },
          action: { type: 'string', minLength: 1 },
          target: {
            type: 'object',
            required: ['repository'],
            properties: {
              mediaType: { type: 'string' },
              digest: { type: 'string', pattern: DIGEST },
              repository: { type: 'string', minLength: 1, maxLength: 255 },
              tag: { type: 'string', maxLength: 128 },
              url: { type: 'string' },
            },
          },
          request: { type: 'object', properties: { host: { type: 'string' }, addr: { type: 'string' } } },
          source: { type: 'object', properties: { addr: { type: 'string' } } },
        },
      },
    },
  },
} as const;

export const harborBody = {
  type: 'object',
  required: ['type', 'event_data'],
  properties: {
    type: { type: 'string', minLength: 1 },
    occur_at: { type: 'number' },
    operator: { type: 'string' },
    event_data: {
      type: 'object',
      required: ['repository'],
      properties: {
        resources: {
          type: 'array',
          maxItems: 10_000,
          items: {
            type: 'object',
            properties: {
              digest: { type: 'string' },
              tag: { type: 'string', maxLength: 128 },
              resource_url: { type: 'string' },
            },
          },
        },
        repository: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            namespace: { type: 'string' },
            repo_full_name: { type: 'string' },
          },
        },
      },
    },
  },
} as const;

export const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' } },
} as const;

export const acceptedResponse = {
  type: 'object',
  required: ['accepted', 'ignored'],
  properties: { accepted: { type: 'integer' }, ignored: { type: 'integer' } },
} as const;

export const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const statusResponse = {
  type: 'object',
  required: ['instance', 'queue', 'registries'],
  properties: {
    instance: { type: 'string' },
    queue: { type: 'object', properties: { size: { type: 'integer' }, capacity: { type: 'integer' } } },
    registries: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          url: { type: 'string' },
          polling: { type: 'boolean' },
          pollIntervalSeconds: { type: 'integer' },
          trustNotifications: { type: 'boolean' },
          lastPollAt: { type: ['string', 'null'] },
          lastPollDurationMs: { type: ['integer', 'null'] },
          lastSuccessAt: { type: ['string', 'null'] },
          lastError: { type: ['string', 'null'] },
          lastErrorAt: { type: ['string', 'null'] },
          consecutiveFailures: { type: 'integer' },
          polls: { type: 'integer' },
          repositories: { type: 'integer' },
          tags: { type: 'integer' },
          notificationFailures: { type: 'integer' },
          lastNotificationError: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;
