import { randomBytes, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { TicketStore } from '../../tickets/store.js';
import { WEBHOOK_EVENTS, type WebhookTarget } from '../../tickets/types.js';
import { deliveryView, webhookTargetView } from '../../tickets/view.js';
import { HttpError, parseOr400, type RouteModule, route } from '../http.js';

const newWebhook = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  /** Generated (and shown once) when omitted. */
  secret: z.string().min(16, 'must be at least 16 characters').optional(),
  events: z
    .array(z.enum(WEBHOOK_EVENTS))
    .min(1)
    .default([...WEBHOOK_EVENTS]),
});

const deliveryQuery = z.object({
  webhook: z.string().optional(),
  state: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export interface WebhookRouteDeps {
  store: TicketStore;
  /** Wall clock, epoch ms. */
  clock: () => number;
}

/** Outbound webhook targets and their delivery log. */
export function webhookRoutes(deps: WebhookRouteDeps): RouteModule {
  const { store } = deps;
  const router = Router();

  router.get(
    '/',
    route(async (_req, res) => res.json({ webhooks: (await store.listWebhooks()).map(webhookTargetView) })),
  );

  router.post(
    '/',
    route(async (req, res) => {
      const body = parseOr400(newWebhook, req.body);
      const target: WebhookTarget = {
        id: randomUUID(),
        url: body.url,
        secret: body.secret ?? randomBytes(32).toString('hex'),
        events: [...new Set(body.events)],
        source: 'api',
        createdAt: deps.clock(),
      };
      await store.saveWebhook(target);
      // The only time the secret is shown: the receiver needs it to check signatures.
      res.status(201).json({ webhook: { ...webhookTargetView(target), secret: target.secret } });
    }),
  );

  router.get(
    '/deliveries',
    route(async (req, res) => {
      const q = parseOr400(deliveryQuery, req.query);
      const deliveries = await store.listDeliveries({ webhookId: q.webhook, state: q.state, limit: q.limit });
      res.json({ deliveries: deliveries.map(deliveryView) });
    }),
  );

  router.delete(
    '/:id',
    route(async (req, res) => {
      if (!(await store.deleteWebhook(String(req.params.id)))) {
        throw new HttpError(404, `there is no webhook '${req.params.id}'`);
      }
      res.status(204).end();
    }),
  );

  return {
    basePath: '/api/webhooks',
    router,
    openapi: {
      '/api/webhooks': {
        get: {
          summary: 'Webhook targets (without secrets): {webhooks}',
          responses: { 200: { description: 'targets' } },
        },
        post: {
          summary:
            'Add a target: POSTs of ticket.opened / ticket.updated signed with X-Forewarn-Signature: sha256=<HMAC-SHA256(secret, body)>; 201 {webhook} with the secret, shown once',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['url'],
                  properties: {
                    url: { type: 'string', format: 'uri' },
                    secret: { type: 'string', minLength: 16 },
                    events: { type: 'array', items: { enum: WEBHOOK_EVENTS } },
                  },
                },
              },
            },
          },
          responses: { 201: { description: '{webhook}' }, 400: { description: 'invalid body' } },
        },
      },
      '/api/webhooks/{id}': {
        delete: {
          summary: 'Remove a target (its delivery log stays)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 204: { description: 'deleted' }, 404: { description: 'unknown' } },
        },
      },
      '/api/webhooks/deliveries': {
        get: {
          summary: 'The delivery log, newest first, with every attempt: {deliveries}',
          parameters: [
            { name: 'webhook', in: 'query', schema: { type: 'string' } },
            { name: 'state', in: 'query', schema: { enum: ['pending', 'delivered', 'failed'] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', default: 100, maximum: 1000 } },
          ],
          responses: { 200: { description: 'deliveries' } },
        },
      },
    },
  };
}
