import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('device registry API', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform.dispose());

  it('answers health and the OpenAPI document without a token', async () => {
    expect(await platform.api('GET', '/api/health', undefined, null)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    const doc = await platform.api<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/openapi.json',
      undefined,
      null,
    );
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/devices', '/api/devices/{id}/telemetry', '/api/ingest/rejects']),
    );
  });

  it('requires a valid Bearer token everywhere else', async () => {
    expect(await platform.api('GET', '/api/devices', undefined, null)).toEqual({
      status: 401,
      body: { error: 'missing Authorization: Bearer <token> header' },
    });
    expect((await platform.api('GET', '/api/devices', undefined, 'not-the-token')).status).toBe(401);
    expect((await platform.api('GET', '/api/devices', undefined, ADMIN_TOKEN)).status).toBe(200);
  });

  it('registers a device once, with a token shown once, and validates the body', async () => {
    const created = await platform.api<{ id: string; token: string }>('POST', '/api/devices', {
      id: 'pu-7',
      model: 'PU-55',
      lat: 48.1,
      lon: 11.6,
      customer: 'Stadtwerke',
      installedAt: '2024-05-01',
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const fetched = await platform.api<Record<string, unknown>>('GET', '/api/devices/pu-7');
    expect(fetched.body).toMatchObject({
      id: 'pu-7',
      model: 'PU-55',
      lat: 48.1,
      customer: 'Stadtwerke',
      online: false,
    });
    expect(JSON.stringify(fetched.body)).not.toContain(created.body.token);
    expect(fetched.body).not.toHaveProperty('tokenHash');

    expect(await platform.api('POST', '/api/devices', { id: 'pu-7', model: 'PU-55' })).toEqual({
      status: 409,
      body: { error: 'device pu-7 already exists', field: 'id' },
    });
    const badModel = await platform.api<{ error: string; field: string }>('POST', '/api/devices', {
      id: 'x-1',
      model: 'TOASTER',
    });
    expect(badModel.status).toBe(400);
    expect(badModel.body).toEqual({
      error: expect.stringContaining('unknown model; known models: AC-2000'),
      field: 'model',
    });
    const badId = await platform.api<{ field: string }>('POST', '/api/devices', {
      id: 'a/b',
      model: 'AC-2000',
    });
    expect(badId).toMatchObject({ status: 400, body: { field: 'id' } });
    expect(await platform.api('POST', '/api/devices', '{"id": ')).toEqual({
      status: 400,
      body: { error: 'the request body is not valid JSON' },
    });
  });

  it('rotates a token: the old one stops working, the new one connects', async () => {
    const old = await platform.provision('fr-9', 'FR-300');
    const rotated = await platform.api<{ token: string }>('POST', '/api/devices/fr-9/token');
    expect(rotated.status).toBe(200);
    await expect(platform.connect('fr-9', old)).rejects.toMatchObject({ code: 4 });
    const client = await platform.connect('fr-9', rotated.body.token);
    expect(client.connected).toBe(true);
  });

  it('imports many devices with a per-row report', async () => {
    const rows = [
      ...Array.from({ length: 300 }, (_, i) => ({ id: `bulk-${i}`, model: 'WM-800' })),
      { id: 'bulk-bad', model: 'NOPE' },
      { id: 'bulk-0', model: 'WM-800' },
      { model: 'WM-800' },
    ];
    const res = await platform.api<{
      created: number;
      failed: number;
      results: Array<{ row: number; token?: string; error?: string }>;
    }>('POST', '/api/devices/import', rows);
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(300);
    expect(res.body.failed).toBe(3);
    expect(res.body.results.slice(300)).toEqual([
      { row: 300, error: expect.stringContaining('model: unknown model') },
      { row: 301, id: 'bulk-0', error: 'device bulk-0 already exists' },
      { row: 302, error: expect.stringContaining('id: ') },
    ]);
  });

  it('removes a device and its telemetry', async () => {
    await platform.provision('gone-1');
    await platform.telemetry.write([
      { device: 'gone-1', ts: Date.now() - 1000, metrics: { vibration_rms: 1 } },
    ]);
    expect((await platform.api('DELETE', '/api/devices/gone-1')).status).toBe(204);
    expect((await platform.api('GET', '/api/devices/gone-1')).status).toBe(404);
    expect(await platform.telemetry.query({ device: 'gone-1', from: 0, to: Date.now(), limit: 10 })).toEqual(
      [],
    );
    expect((await platform.api('DELETE', '/api/devices/gone-1')).status).toBe(404);
  });

  it('validates telemetry queries with messages a person understands', async () => {
    await platform.provision('q-1');
    expect(await platform.api('GET', '/api/devices/q-1/telemetry?from=yesterday')).toEqual({
      status: 400,
      body: { error: "from: 'yesterday' is neither epoch milliseconds nor ISO-8601", field: 'from' },
    });
    expect(
      (await platform.api<{ field: string }>('GET', '/api/devices/q-1/telemetry?step=5x')).body.field,
    ).toBe('step');
    expect(
      (await platform.api<{ field: string }>('GET', '/api/devices/q-1/telemetry?limit=100001')).body.field,
    ).toBe('limit');
    expect((await platform.api('GET', '/api/devices/nope/telemetry')).status).toBe(404);
    expect(await platform.api('GET', '/api/devices/q-1/telemetry?to=99999999999999999999')).toEqual({
      status: 400,
      body: { error: "to: '99999999999999999999' is outside the range of dates", field: 'to' },
    });
    const malformedUri = await platform.api<{ error: string }>('GET', '/api/devices/%E0%A4%A');
    expect(malformedUri.status).toBe(400);
    expect(malformedUri.body.error).toBeTruthy();
    expect((await platform.api('GET', '/api/nothing-here')).status).toBe(404);
  });

  it('downsamples with step and agg', async () => {
    await platform.provision('q-2');
    const base =
      Date.UTC(2026, 0, 1) + Math.floor((Date.now() - Date.UTC(2026, 0, 1)) / 3_600_000 - 2) * 3_600_000;
    await platform.telemetry.write(
      Array.from({ length: 12 }, (_, i) => ({
        device: 'q-2',
        ts: base + i * 10 * 60_000,
        metrics: { temperature_c: i },
      })),
    );
    const res = await platform.api<{ points: unknown[] }>(
      'GET',
      `/api/devices/q-2/telemetry?from=${base}&to=${base + 7_200_000}&step=1h&agg=max`,
    );
    const all = await platform.api<{ points: unknown[] }>(
      'GET',
      `/api/devices/q-2/telemetry?from=${base}&to=${base + 7_200_000}&metrics=`,
    );
    expect(all.body.points).toHaveLength(12); // an empty metrics list means every metric
    expect(res.body.points).toEqual([
      { ts: new Date(base).toISOString(), temperature_c: 5 },
      { ts: new Date(base + 3_600_000).toISOString(), temperature_c: 11 },
    ]);
  });
});
