import { Router } from 'express';
import { z } from 'zod';
import type { RejectLog } from '../../ingest/rejects.js';
import { parseOr400, type RouteModule, route } from '../http.js';

/** The dead-letter list of refused telemetry. */
export function ingestRoutes(deps: { rejects: RejectLog }): RouteModule {
  const router = Router();
  router.get(
    '/rejects',
    route((req, res) => {
      const { limit } = parseOr400(z.object({ limit: z.coerce.number().int().min(1).optional() }), req.query);
      res.json({ rejects: deps.rejects.recent(limit) });
    }),
  );
  return {
    basePath: '/api/ingest',
    router,
    openapi: {
      '/api/ingest/rejects': {
        get: {
          summary: 'Refused telemetry, newest first: {rejects: [{at, device, reason, detail, excerpt}]}',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }],
          responses: { 200: { description: 'rejects' } },
        },
      },
    },
  };
}
