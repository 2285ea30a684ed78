import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { MODEL_IDS, modelProfile } from '../../core/models.js';
import type { TicketStore } from '../../tickets/store.js';
import type { Outlet } from '../../tickets/types.js';
import { outletView } from '../../tickets/view.js';
import { HttpError, parseOr400, type RouteModule, route } from '../http.js';

const OUTLET_ID = /^[A-Za-z0-9._-]{1,64}$/;

const outletFields = {
  name: z.string().trim().min(1).max(200),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  capacity: z.number().int().min(0, 'must be 0 or more'),
  skills: z
    .array(
      z
        .string()
        .refine(
          (id) => modelProfile(id) !== undefined,
          `unknown model; known models: ${MODEL_IDS.join(', ')}`,
        ),
    )
    .transform((skills) => [...new Set(skills)]),
  rating: z.number().min(0).max(5),
};

const newOutlet = z.object({
  id: z.string().regex(OUTLET_ID, 'must be 1–64 letters, digits, . _ -').optional(),
  ...outletFields,
  skills: outletFields.skills.default([]),
  rating: outletFields.rating.default(3),
});

const outletPatch = z
  .object(outletFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change');

export interface OutletRouteDeps {
  store: TicketStore;
  /** Wall clock, epoch ms. */
  clock: () => number;
}

/** Service outlets: location, capacity, the models their technicians can service, rating. */
export function outletRoutes(deps: OutletRouteDeps): RouteModule {
  const { store } = deps;
  const router = Router();

  const load = async (id: string) => (await store.outletLoad()).get(id) ?? 0;
  const mustExist = async (id: string): Promise<Outlet> => {
    const outlet = await store.getOutlet(id);
    if (!outlet) throw new HttpError(404, `there is no outlet '${id}'`);
    return outlet;
  };

  router.get(
    '/',
    route(async (_req, res) => {
      const loads = await store.outletLoad();
      res.json({ outlets: (await store.listOutlets()).map((o) => outletView(o, loads.get(o.id) ?? 0)) });
    }),
  );

  router.post(
    '/',
    route(async (req, res) => {
      const body = parseOr400(newOutlet, req.body);
      const id = body.id ?? `O-${randomUUID().slice(0, 8)}`;
      if (await store.getOutlet(id)) throw new HttpError(409, `outlet ${id} already exists`, 'id');
      const outlet: Outlet = { ...body, id, createdAt: deps.clock() };
      await store.saveOutlet(outlet);
      res.status(201).json({ outlet: outletView(outlet, 0) });
    }),
  );

  router.get(
    '/:id',
    route(async (req, res) => {
      const outlet = await mustExist(String(req.params.id));
      res.json({ outlet: outletView(outlet, await load(outlet.id)) });
    }),
  );

  router.patch(
    '/:id',
    route(async (req, res) => {
      const outlet = await mustExist(String(req.params.id));
      const updated: Outlet = { ...outlet, ...parseOr400(outletPatch, req.body) };
      await store.saveOutlet(updated);
      res.json({ outlet: outletView(updated, await load(updated.id)) });
    }),
  );

  router.delete(
    '/:id',
    route(async (req, res) => {
      const outlet = await mustExist(String(req.params.id));
      const active = await load(outlet.id);
      if (active > 0) {
        throw new HttpError(
          409,
          `outlet ${outlet.id} still has ${active} active tickets; reassign them first`,
        );
      }
      await store.deleteOutlet(outlet.id);
      res.status(204).end();
    }),
  );

  return { basePath: '/api/outlets', router, openapi: OUTLET_OPENAPI };
}

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const outletSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    lat: { type: 'number' },
    lon: { type: 'number' },
    capacity: { type: 'integer', description: 'most active tickets at once' },
    skills: { type: 'array', items: { type: 'string' }, description: 'model ids the outlet services' },
    rating: { type: 'number', minimum: 0, maximum: 5 },
  },
};

const OUTLET_OPENAPI: Record<string, unknown> = {
  '/api/outlets': {
    get: {
      summary: 'Outlets with their active ticket count: {outlets}',
      responses: { 200: { description: 'outlets' } },
    },
    post: {
      summary: 'Create an outlet: 201 {outlet}',
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { ...outletSchema, required: ['name', 'lat', 'lon', 'capacity'] } },
        },
      },
      responses: {
        201: { description: '{outlet}' },
        400: { description: 'invalid body' },
        409: { description: 'id taken' },
      },
    },
  },
  '/api/outlets/{id}': {
    get: {
      summary: 'One outlet',
      parameters: [idParam],
      responses: { 200: { description: '{outlet}' }, 404: { description: 'unknown' } },
    },
    patch: {
      summary: 'Change some of an outlet’s fields',
      parameters: [idParam],
      requestBody: { required: true, content: { 'application/json': { schema: outletSchema } } },
      responses: {
        200: { description: '{outlet}' },
        400: { description: 'invalid body' },
        404: { description: 'unknown' },
      },
    },
    delete: {
      summary: 'Delete an outlet that has no active tickets',
      parameters: [idParam],
      responses: {
        204: { description: 'deleted' },
        404: { description: 'unknown' },
        409: { description: 'has active tickets' },
      },
    },
  },
};
