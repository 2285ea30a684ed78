import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../../dashboard/serve.js';

/** Serves `dashboardRoutes({dir})` on a free port. */
async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const module = dashboardRoutes({ dir });
  const app = express();
  app.use(module.basePath, module.router);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('dashboardRoutes', () => {
  let root: string;
  let built: { url: string; server: Server };
  let missing: { url: string; server: Server };
  const INDEX =
    '<!doctype html><title>app</title><script type="module" src="/dashboard/assets/app-1a2b.js"></script>';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'forewarn-dashboard-'));
    mkdirSync(join(root, 'app', 'assets'), { recursive: true });
    writeFileSync(join(root, 'app', 'index.html'), INDEX);
    writeFileSync(join(root, 'app', 'assets', 'app-1a2b.js'), 'console.log(1)');
    mkdirSync(join(root, 'empty'));
    built = await serve(join(root, 'app'));
    missing = await serve(join(root, 'empty'));
  });

  afterAll(async () => {
    for (const { server } of [built, missing]) await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('declares itself public under /dashboard, with no API paths', () => {
    const module = dashboardRoutes({ dir: root });
    expect(module).toMatchObject({ basePath: '/dashboard', publicPaths: ['/*'], openapi: {} });
  });

  it('serves index.html for the app and for any client-side path, with a strict content policy', async () => {
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/devices/ac-1']) {
      const res = await fetch(built.url + path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets for good and answers 404 for an unknown asset', async () => {
    const asset = await fetch(`${built.url}/dashboard/assets/app-1a2b.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('console.log(1)');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const gone = await fetch(`${built.url}/dashboard/assets/app-old.js`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toMatch(/reload/);
  });

  it('answers 503 with what to do when the app was not built', async () => {
    const res = await fetch(`${missing.url}/dashboard/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain('npm run build');
  });
});
