import { Router } from 'express';
import type { TicketService } from '../../tickets/service.js';
import type { TicketStore } from '../../tickets/store.js';
import { publicStatusView } from '../../tickets/view.js';
import { HttpError, type RouteModule, route } from '../http.js';

export interface StatusRouteDeps {
  service: TicketService;
  store: TicketStore;
}

/** The customer's status link: read-only progress of one ticket, reached by its unguessable token, no login. */
export function statusRoutes(deps: StatusRouteDeps): RouteModule {
  const router = Router();
  router.get(
    '/:token',
    route(async (req, res) => {
      const ticket = await deps.service.ticketByStatusToken(String(req.params.token));
      if (!ticket)
        throw new HttpError(404, 'no service case behind this link; check that it was copied completely');
      const outlet = ticket.outletId === null ? null : await deps.store.getOutlet(ticket.outletId);
      res
        .set('cache-control', 'no-store')
        .json(publicStatusView(ticket, await deps.service.history(ticket.id), outlet));
    }),
  );
  return {
    basePath: '/api/status',
    router,
    publicPaths: ['/*'],
    openapi: {
      '/api/status/{token}': {
        get: {
          summary:
            'Customer status view (no token needed): {ticket, device, model, title, status, statusText, openedAt, respondBy, resolveBy, servicePartner, steps, updatedAt}',
          security: [],
          parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'status' }, 404: { description: 'unknown link' } },
        },
      },
    },
  };
}
