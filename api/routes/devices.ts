import { Router } from 'express';
import { z } from 'zod';
import { type DeviceRegistry, newDeviceSchema } from '../../devices/registry.js';
import type { TelemetryStore } from '../../store/telemetry/port.js';
import { HttpError, parseOr400, parseTimeParam, type RouteModule, route } from '../http.js';

const DEFAULT_LIMIT = 10_000;
const MAX_LIMIT = 100_000;
const MAX_IMPORT = 50_000;
const STEP_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const telemetryQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  metrics: z.string().optional(),
  step: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 30s, 1m, 1h or 1d')
    .optional(),
  agg: z.enum(['mean', 'min', 'max', 'last']).default('mean'),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`).default(DEFAULT_LIMIT),
});

function parseStep(step: string): number {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(step) ?? [];
  const ms = Number(amount) * STEP_UNITS[unit];
  if (ms <= 0) throw new HttpError(400, 'step: must be longer than zero', 'step');
  return ms;
}

/** Device registry, token rotation, bulk import and per-device telemetry queries. */
export function deviceRoutes(deps: { registry: DeviceRegistry; telemetry: TelemetryStore }): RouteModule {
  const { registry, telemetry } = deps;
  const router = Router();

  router.get(
    '/',
    route((_req, res) => res.json({ devices: registry.list() })),
  );

  router.post(
    '/',
    route(async (req, res) => {
      const device = parseOr400(newDeviceSchema, req.body);
      const [result] = await registry.add([device]);
      if (!result.ok) throw new HttpError(409, `device ${device.id} already exists`, 'id');
      res.status(201).json({ id: result.id, token: result.token });
    }),
  );

  router.post(
    '/import',
    route(async (req, res) => {
      const rows = parseOr400(
        z.array(z.unknown()).max(MAX_IMPORT, `at most ${MAX_IMPORT} devices per import`),
        req.body,
      );
      const report: Array<{ row: number; id?: string; token?: string; error?: string }> = [];
      const valid: Array<{ row: number; device: z.infer<typeof newDeviceSchema> }> = [];
      rows.forEach((raw, row) => {
        const parsed = newDeviceSchema.safeParse(raw);
        if (parsed.success) valid.push({ row, device: parsed.data });
        else {
          const issue = parsed.error.issues[0];
          report.push({ row, error: `${issue.path.join('.') || 'row'}: ${issue.message}` });
        }
      });
      const results = await registry.add(valid.map((v) => v.device));
      results.forEach((result, i) => {
        const { row } = valid[i];
        report.push(
          result.ok
            ? { row, id: result.id, token: result.token }
            : { row, id: result.id, error: `device ${result.id} already exists` },
        );
      });
      report.sort((a, b) => a.row - b.row);
      const created = report.filter((r) => r.token).length;
      res.status(created > 0 ? 201 : 200).json({ created, failed: report.length - created, results: report });
    }),
  );

  router.get(
    '/:id',
    route((req, res) => {
      const device = registry.get(String(req.params.id));
      if (!device) throw new HttpError(404, `no device ${req.params.id}`);
      res.json(device);
    }),
  );

  router.delete(
    '/:id',
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!registry.get(id)) throw new HttpError(404, `no device ${id}`);
      await registry.remove(id);
      await telemetry.deleteDevice(id);
      res.status(204).end();
    }),
  );

  router.post(
    '/:id/token',
    route(async (req, res) => {
      const id = String(req.params.id);
      const token = await registry.rotateToken(id);
      if (!token) throw new HttpError(404, `no device ${id}`);
      res.json({ id, token });
    }),
  );

  router.get(
    '/:id/telemetry',
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!registry.get(id)) throw new HttpError(404, `no device ${id}`);
      const query = parseOr400(telemetryQuery, req.query);
      const to = parseTimeParam('to', query.to) ?? Date.now();
      const from = parseTimeParam('from', query.from) ?? to - 86_400_000;
      if (from >= to) throw new HttpError(400, 'from: must be before to', 'from');
      const metrics = query.metrics
        ?.split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      const points = await telemetry.query({
        device: id,
        from,
        to,
        metrics: metrics?.length ? metrics : undefined,
        limit: query.limit,
        step: query.step ? { ms: parseStep(query.step), aggregate: query.agg } : undefined,
      });
      res.json({
        device: id,
        points: points.map((p) => ({ ts: new Date(p.ts).toISOString(), ...p.values })),
      });
    }),
  );

  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const error = {
    description: 'error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return {
    basePath: '/api/devices',
    router,
    openapi: {
      '/api/devices': {
        get: {
          summary: 'List devices with their availability',
          responses: { 200: { description: 'devices' } },
        },
        post: {
          summary: 'Register a device; the MQTT token is returned once',
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/NewDevice' } } },
          },
          responses: { 201: { description: '{id, token}' }, 400: error, 409: error },
        },
      },
      '/api/devices/import': {
        post: {
          summary: 'Register many devices; answers per row with a token or an error',
          requestBody: {
            content: {
              'application/json': {
                schema: { type: 'array', items: { $ref: '#/components/schemas/NewDevice' } },
              },
            },
          },
          responses: {
            201: { description: '{created, failed, results: [{row, id, token | error}]}' },
            400: error,
          },
        },
      },
      '/api/devices/{id}': {
        parameters: [idParam],
        get: { summary: 'One device', responses: { 200: { description: 'device' }, 404: error } },
        delete: {
          summary: 'Remove a device and its telemetry',
          responses: { 204: { description: 'removed' }, 404: error },
        },
      },
      '/api/devices/{id}/token': {
        parameters: [idParam],
        post: {
          summary: 'Rotate the MQTT token; the old one stops working',
          responses: { 200: { description: '{id, token}' }, 404: error },
        },
      },
      '/api/devices/{id}/telemetry': {
        parameters: [
          idParam,
          {
            name: 'from',
            in: 'query',
            schema: { type: 'string' },
            description: 'ISO-8601 or epoch ms; default to − 24 h',
          },
          {
            name: 'to',
            in: 'query',
            schema: { type: 'string' },
            description: 'ISO-8601 or epoch ms; default now',
          },
          {
            name: 'metrics',
            in: 'query',
            schema: { type: 'string' },
            description: 'comma-separated metric names',
          },
          { name: 'step', in: 'query', schema: { type: 'string' }, description: 'downsample, e.g. 1m, 1h' },
          {
            name: 'agg',
            in: 'query',
            schema: { enum: ['mean', 'min', 'max', 'last'] },
            description: 'with step; default mean',
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', maximum: MAX_LIMIT },
            description: `default ${DEFAULT_LIMIT}`,
          },
        ],
        get: {
          summary: 'Telemetry in time order',
          responses: {
            200: { description: '{device, points: [{ts, <metric>: value}]}' },
            400: error,
            404: error,
          },
        },
      },
    },
  };
}
