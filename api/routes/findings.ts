import { Router } from 'express';
import { z } from 'zod';
import type { TicketStore } from '../../tickets/store.js';
import { findingView } from '../../tickets/view.js';
import { parseOr400, type RouteModule, route } from '../http.js';

const MAX_LIMIT = 10_000;

const findingQuery = z.object({
  device: z.string().optional(),
  state: z.enum(['active', 'cleared']).optional(),
  faultCode: z.string().optional(),
  ticket: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`).default(500),
});

export interface FindingRouteDeps {
  store: TicketStore;
}

/** Findings the rules engine handed to the ticket service, newest first, with the ticket each one touched. */
export function findingRoutes(deps: FindingRouteDeps): RouteModule {
  const router = Router();
  router.get(
    '/',
    route(async (req, res) => {
      const q = parseOr400(findingQuery, req.query);
      const findings = await deps.store.listFindings({
        device: q.device,
        state: q.state,
        faultCode: q.faultCode,
        ticketId: q.ticket,
        limit: q.limit,
      });
      res.json({
        findings: findings.map(findingView),
      });
    }),
  );
  return {
    basePath: '/api/findings',
    router,
    openapi: {
      '/api/findings': {
        get: {
          summary:
            'Findings, newest first: {findings: [{key, ticketId, device, model, metric, faultCode, category, severity, state, at, evidence, predictedFailureAt}]}',
          parameters: [
            { name: 'device', in: 'query', schema: { type: 'string' } },
            { name: 'state', in: 'query', schema: { enum: ['active', 'cleared'] } },
            { name: 'faultCode', in: 'query', schema: { type: 'string' } },
            { name: 'ticket', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', default: 500, maximum: MAX_LIMIT } },
          ],
          responses: { 200: { description: 'findings' }, 400: { description: 'invalid filter' } },
        },
      },
    },
  };
}
