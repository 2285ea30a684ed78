import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../core/log.js';
import { isRetryable } from '../store/telemetry/errors.js';
import { HttpError, type RouteModule } from './http.js';

export interface HttpAppDeps {
  modules: RouteModule[];
  /** Whether a Bearer token may use the API. */
  isAdminToken: (token: string) => Promise<boolean>;
  /** Answers whether the MQTT listener, the HTTP server and the store are ready. */
  isReady: () => boolean;
  metricsRegistry: Registry;
  log: Logger;
  version: string;
}

const ALWAYS_PUBLIC = new Set(['/api/health', '/api/openapi.json']);

/** The HTTP API: Bearer auth in front of every route module, JSON errors behind them. */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '20mb' }));

  const publicPaths = new Set(ALWAYS_PUBLIC);
  for (const module of deps.modules) {
    for (const path of module.publicPaths ?? []) publicPaths.add(module.basePath + path);
  }
  const isPublic = (path: string) =>
    publicPaths.has(path) ||
    deps.modules.some((m) =>
      m.publicPaths?.some((p) => p.endsWith('/*') && path.startsWith(m.basePath + p.slice(0, -1))),
    );

  app.use('/api', (req, _res, next) => {
    if (!deps.isReady() && !ALWAYS_PUBLIC.has(req.baseUrl + req.path)) {
      return next(new HttpError(503, 'Forewarn is starting or shutting down; try again shortly'));
    }
    if (isPublic(req.baseUrl + req.path)) return next();
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) {
      return next(new HttpError(401, 'missing Authorization: Bearer <token> header'));
    }
    deps
      .isAdminToken(token)
      .then((ok) => next(ok ? undefined : new HttpError(401, 'the Bearer token is not valid')), next);
  });

  app.get('/api/health', (_req, res) => {
    const ready = deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'starting', version: deps.version });
  });
  app.get('/api/openapi.json', (_req, res) => res.json(openApiDocument(deps)));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  for (const module of deps.modules) app.use(module.basePath, module.router);

  app.use('/api', (req, _res, next) =>
    next(new HttpError(404, `no such endpoint: ${req.method} ${req.originalUrl}`)),
  );
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      res
        .status(error.status)
        .json(error.field ? { error: error.message, field: error.field } : { error: error.message });
      return;
    }
    const { status, type, message } = error as { status?: number; type?: string; message?: string };
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: 'the request body is not valid JSON' });
      return;
    }
    if (status === 413) {
      res.status(413).json({ error: 'the request body is too large' });
      return;
    }
    if (status !== undefined && status >= 400 && status < 500) {
      // Errors express raises itself, such as a malformed URI.
      res.status(status).json({ error: message ?? 'bad request' });
      return;
    }
    if (isRetryable(error)) {
      deps.log.warn({ err: error }, 'HTTP request failed: store unavailable');
      res.status(503).json({ error: 'the telemetry store is unavailable right now; try again shortly' });
      return;
    }
    deps.log.error({ err: error }, 'HTTP request failed');
    res.status(500).json({ error: 'internal error; the server log has the details' });
  });
  return app;
}

function openApiDocument(deps: HttpAppDeps) {
  const paths: Record<string, unknown> = {
    '/api/health': {
      get: { summary: 'Readiness: 200 once MQTT, HTTP and the store are ready, else 503', security: [] },
    },
    '/api/openapi.json': { get: { summary: 'This document', security: [] } },
  };
  for (const module of deps.modules) Object.assign(paths, module.openapi);
  return {
    openapi: '3.1.0',
    info: { title: 'Forewarn API', version: deps.version },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, field: { type: 'string' } },
        },
        NewDevice: {
          type: 'object',
          required: ['id', 'model'],
          properties: {
            id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
            model: { type: 'string', examples: ['AC-2000', 'FR-300', 'WM-800', 'PU-55'] },
            lat: { type: 'number' },
            lon: { type: 'number' },
            customer: { type: 'string' },
            installedAt: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    paths,
  };
}
