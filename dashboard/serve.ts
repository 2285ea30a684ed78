/**
 * Serves the built dashboard (the React app from dashboard/src, built by `vite build --config
 * dashboard/vite.config.ts` into dist/dashboard/public) under /dashboard. The files are public; the data
 * they show comes from the API, which needs the admin token.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { RouteModule } from '../api/http.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Compiled, this file is dist/dashboard/serve.js and the bundle lies beside it; run from source (tests,
 * tsx) it is dashboard/serve.ts and the bundle is in the build output.
 */
export const DASHBOARD_DIR =
  basename(dirname(here)) === 'dist' ? join(here, 'public') : join(here, '..', 'dist', 'dashboard', 'public');

const NOT_BUILT =
  'The dashboard is not built. Run `npm run build` (it builds the app with `vite build --config dashboard/vite.config.ts`) and reload.';

/** The app may talk to this server only; nothing inline, nothing from elsewhere. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export interface DashboardOptions {
  /** Where the built app is; defaults to the build output next to this module. */
  dir?: string;
}

/** `/dashboard`: the built app, with index.html for every path that is not a file, or a 503 when it was not built. */
export function dashboardRoutes(options: DashboardOptions = {}): RouteModule {
  const dir = options.dir ?? DASHBOARD_DIR;
  const index = join(dir, 'index.html');
  const router = Router();

  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    // Checked on every request so a build made after the server started is picked up.
    if (existsSync(index)) return next();
    res.status(503).type('text/plain').send(NOT_BUILT);
  });
  // Asset names carry a content hash: a changed file gets a new name, so they can be cached for good.
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false }));
  router.use('/assets', (_req, res) => {
    res
      .status(404)
      .type('text/plain')
      .send('No such dashboard file; reload the page to get the current build.');
  });
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  router.get('/{*path}', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index);
  });

  return { basePath: '/dashboard', router, openapi: {}, publicPaths: ['/*'] };
}
