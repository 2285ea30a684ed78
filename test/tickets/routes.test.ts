import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, type RouteModule } from '../../api/http.js';
import { findingRoutes } from '../../api/routes/findings.js';
import { outletRoutes } from '../../api/routes/outlets.js';
import { statusRoutes } from '../../api/routes/status.js';
import { knowledgeRoutes, ticketRoutes } from '../../api/routes/tickets.js';
import { webhookRoutes } from '../../api/routes/webhooks.js';
import { createTicketService, type TicketService } from '../../tickets/service.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import { finding, HOUR, T0 } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON checked field by field.
type ResponseBody = any;

const SITES: Record<string, { lat: number; lon: number }> = { 'ac-1': { lat: 48.137, lon: 11.575 } };

describe('ticket HTTP routes', () => {
  let server: Server;
  let base: string;
  let service: TicketService;
  let modules: RouteModule[];
  const now = T0 + 2 * HOUR;

  beforeAll(async () => {
    const store = new SqliteTicketStore(':memory:');
    await store.open();
    const clock = () => now;
    service = createTicketService({ store, clock, deviceLocation: (id) => SITES[id] });
    modules = [
      ticketRoutes({ service, clock, actorOf: (req) => req.header('x-user') }),
      knowledgeRoutes({ service }),
      outletRoutes({ store, clock }),
      findingRoutes({ store }),
      webhookRoutes({ store, clock }),
      statusRoutes({ service, store }),
    ];
    const app = express();
    app.use(express.json());
    for (const module of modules) app.use(module.basePath, module.router);
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      if (error instanceof HttpError) {
        res
          .status(error.status)
          .json(error.field ? { error: error.message, field: error.field } : { error: error.message });
        return;
      }
      res.status(500).json({ error: String(error) });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function api(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: ResponseBody }> {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('documents every route in OpenAPI and lists only the status link as public', () => {
    const paths = Object.assign({}, ...modules.map((m) => m.openapi));
    expect(Object.keys(paths).sort()).toEqual(
      [
        '/api/findings',
        '/api/knowledge',
        '/api/outlets',
        '/api/outlets/{id}',
        '/api/status/{token}',
        '/api/tickets',
        '/api/tickets/reports/monthly',
        '/api/tickets/sla-policy',
        '/api/tickets/stats',
        '/api/tickets/{id}',
        '/api/tickets/{id}/assign',
        '/api/tickets/{id}/close',
        '/api/tickets/{id}/feedback',
        '/api/tickets/{id}/follow-up',
        '/api/tickets/{id}/notes',
        '/api/tickets/{id}/resolve',
        '/api/tickets/{id}/transitions',
        '/api/webhooks',
        '/api/webhooks/deliveries',
        '/api/webhooks/{id}',
      ].sort(),
    );
    expect(modules.filter((m) => m.publicPaths).map((m) => [m.basePath, m.publicPaths])).toEqual([
      ['/api/status', ['/*']],
    ]);
  });

  it('manages outlets and validates them', async () => {
    const created = await api('POST', '/api/outlets', {
      id: 'north',
      name: 'North Service',
      lat: 48.16,
      lon: 11.58,
      capacity: 2,
      skills: ['AC-2000', 'FR-300'],
      rating: 4.5,
    });
    expect(created).toMatchObject({
      status: 201,
      body: { outlet: { id: 'north', activeTickets: 0, createdAt: new Date(now).toISOString() } },
    });
    expect(
      (await api('POST', '/api/outlets', { id: 'north', name: 'x', lat: 0, lon: 0, capacity: 1 })).status,
    ).toBe(409);
    expect(
      await api('POST', '/api/outlets', { name: 'x', lat: 0, lon: 0, capacity: 1, skills: ['TOASTER'] }),
    ).toEqual({
      status: 400,
      body: { error: expect.stringContaining('unknown model; known models: AC-2000'), field: 'skills.0' },
    });
    expect(await api('POST', '/api/outlets', { name: 'x', lat: 95, lon: 0, capacity: 1 })).toMatchObject({
      status: 400,
      body: { field: 'lat' },
    });
    const patched = await api('PATCH', '/api/outlets/north', { capacity: 3 });
    expect(patched.body.outlet).toMatchObject({ capacity: 3, rating: 4.5 });
    expect((await api('PATCH', '/api/outlets/north', {})).status).toBe(400);
    expect((await api('GET', '/api/outlets/nope')).status).toBe(404);
    expect((await api('GET', '/api/outlets')).body.outlets.map((o: { id: string }) => o.id)).toEqual([
      'north',
    ]);
  });

  it('lists proactive tickets and findings, and shows one with history and suggestions', async () => {
    await service.handleFinding(finding({ severity: 'critical' }));
    await service.handleFinding(
      finding({ device: 'ac-2', faultCode: 'OFFLINE', metric: '*', severity: 'warning' }),
    );

    const list = await api('GET', '/api/tickets?status=open&priority=P1,P2');
    expect(list.body.tickets.map((t: { id: string; outletId: string | null }) => [t.id, t.outletId])).toEqual(
      [['T-1', 'north']],
    );
    // Findings of data time T0 taken in at `now`: the ticket is recorded then; the finding keeps its own time.
    expect(list.body.tickets[0]).toMatchObject({
      openedAt: new Date(now).toISOString(),
      statusPath: expect.stringMatching(/^\/api\/status\/.{24}$/),
    });
    expect(
      (await api('GET', '/api/tickets?category=data_quality')).body.tickets.map((t: { id: string }) => t.id),
    ).toEqual(['T-2']);
    expect(await api('GET', '/api/tickets?status=opened')).toMatchObject({
      status: 400,
      body: { field: 'status.0' },
    });

    const detail = await api('GET', '/api/tickets/T-1');
    expect(detail.body.history.map((h: { action: string }) => h.action)).toEqual(['opened', 'assigned']);
    expect(detail.body.findings).toMatchObject([{ faultCode: 'VIB-TREND', at: new Date(T0).toISOString() }]);
    expect(detail.body.suggestions).toEqual([]);
    expect(await api('GET', '/api/tickets/T-404')).toEqual({
      status: 404,
      body: { error: "there is no ticket 'T-404'" },
    });

    const findings = await api('GET', '/api/findings?device=ac-2&state=active');
    expect(findings.body.findings).toMatchObject([
      { ticketId: 'T-2', faultCode: 'OFFLINE', predictedFailureAt: null },
    ]);
    expect((await api('GET', '/api/findings?state=gone')).status).toBe(400);
  });

  it('runs the lifecycle over HTTP with clear refusals', async () => {
    const bad = await api('POST', '/api/tickets/T-1/transitions', { to: 'closed' });
    expect(bad).toEqual({
      status: 409,
      body: {
        error:
          'ticket T-1: a ticket cannot go from open to closed; from open it can go to acknowledged, dispatched, in_progress, cancelled, no_fault_found',
      },
    });
    expect(await api('POST', '/api/tickets/T-1/transitions', { to: 'fixed' })).toMatchObject({
      status: 400,
      body: { field: 'to' },
    });
    expect(
      await api('POST', '/api/tickets/T-1/transitions', { to: 'acknowledged' }, { 'x-user': 'dana' }),
    ).toMatchObject({
      status: 200,
      body: { ticket: { status: 'acknowledged', firstResponseAt: new Date(now).toISOString() } },
    });
    await api('POST', '/api/tickets/T-1/transitions', {
      to: 'dispatched',
      actor: 'dispatcher',
      technician: 'tom',
    });
    await api('POST', '/api/tickets/T-1/transitions', { to: 'in_progress', actor: 'tom' });
    expect(
      await api('POST', '/api/tickets/T-1/resolve', { resolutionCode: 'REPLACE-BEARING' }),
    ).toMatchObject({
      status: 400,
      body: { field: 'faultCode' },
    });
    const resolved = await api('POST', '/api/tickets/T-1/resolve', {
      resolutionCode: 'REPLACE-BEARING',
      faultCode: 'VIB-TREND',
      parts: [{ partNumber: 'BRG-6204' }],
      firstTimeFix: true,
      actor: 'tom',
    });
    expect(resolved.body.ticket).toMatchObject({
      status: 'resolved',
      resolution: { parts: [{ partNumber: 'BRG-6204', quantity: 1 }] },
    });
    expect(await api('POST', '/api/tickets/T-1/close', { feedback: { nps: 11 } })).toMatchObject({
      status: 400,
      body: { field: 'feedback.nps' },
    });
    expect(await api('POST', '/api/tickets/T-1/close', { feedback: {} })).toMatchObject({
      status: 400,
      body: { field: 'feedback' },
    });
    const closed = await api('POST', '/api/tickets/T-1/close', {
      feedback: { csat: 2, nps: 3, comment: 'took long' },
      actor: 'dana',
    });
    expect(closed.body.ticket).toMatchObject({
      status: 'closed',
      followUp: { reason: 'NPS 3', doneAt: null },
    });
    expect((await api('POST', '/api/tickets/T-1/follow-up', { note: '' })).status).toBe(400);
    expect(
      (await api('POST', '/api/tickets/T-1/follow-up', { note: 'called back' })).body.ticket.followUp.doneAt,
    ).toBe(new Date(now).toISOString());

    const history = (await api('GET', '/api/tickets/T-1')).body.history;
    expect(history.map((h: { actor: string; action: string }) => `${h.actor}:${h.action}`)).toEqual([
      'system:rules:opened',
      'system:dispatch:assigned',
      'dana:status',
      'dispatcher:status',
      'tom:status',
      'tom:status',
      'tom:resolution',
      'dana:status',
      'dana:feedback',
      'dana:follow_up',
      'api:follow_up',
    ]);
  });

  it('opens reactive tickets, reassigns and suggests past fixes', async () => {
    expect(await api('POST', '/api/tickets', { device: 'ac-1', reportedBy: 'customer' })).toMatchObject({
      status: 400,
      body: { field: 'title' },
    });
    expect(await api('POST', '/api/tickets', { device: 'ac-9', title: 'x', reportedBy: 'y' })).toMatchObject({
      status: 400,
      body: { field: 'model' },
    });
    const created = await api('POST', '/api/tickets', {
      device: 'ac-1',
      model: 'AC-2000',
      faultCode: 'VIB-TREND',
      title: 'rattles at night',
      reportedBy: 'customer: Mrs Weber',
    });
    expect(created).toMatchObject({
      status: 201,
      body: { ticket: { kind: 'reactive', priority: 'P2', outletId: 'north' } },
    });
    const id = created.body.ticket.id;
    expect((await api('GET', `/api/tickets/${id}`)).body.suggestions).toMatchObject([
      { resolutionCode: 'REPLACE-BEARING', firstTimeFixes: 1, exampleTickets: ['T-1'] },
    ]);
    expect(await api('POST', `/api/tickets/${id}/assign`, { outletId: 'nope' })).toMatchObject({
      status: 400,
      body: { field: 'outletId' },
    });
    expect(await api('POST', `/api/tickets/${id}/assign`, { outletId: null, auto: true })).toMatchObject({
      status: 400,
    });
    expect(
      (await api('POST', `/api/tickets/${id}/assign`, { outletId: null, note: 'customer away' })).body.ticket
        .outletId,
    ).toBeNull();
    expect(
      (await api('POST', `/api/tickets/${id}/notes`, { note: 'left a voicemail', actor: 'dana' })).status,
    ).toBe(201);
    expect(await api('DELETE', '/api/outlets/north')).toMatchObject({ status: 204 });

    const kb = await api('GET', '/api/knowledge?model=AC-2000&faultCode=VIB-TREND');
    expect(kb.body).toMatchObject({
      model: 'AC-2000',
      faultCode: 'VIB-TREND',
      suggestions: [{ resolutionCode: 'REPLACE-BEARING' }],
    });
    expect(await api('GET', '/api/knowledge?model=AC-2000')).toMatchObject({
      status: 400,
      body: { field: 'faultCode' },
    });
  });

  it('serves measures, the monthly report and the SLA policy', async () => {
    const stats = await api(
      'GET',
      `/api/tickets/stats?from=${T0 - HOUR}&to=${new Date(T0 + 24 * HOUR).toISOString()}`,
    );
    expect(stats.body).toMatchObject({
      opened: 3,
      proactive: 2,
      reactive: 1,
      firstTimeFix: { rate: 1 },
      followUpsDue: [],
    });
    expect(stats.body.from).toBe(new Date(T0 - HOUR).toISOString());
    expect((await api('GET', '/api/tickets/stats?from=yesterday')).status).toBe(400);
    const report = await api('GET', '/api/tickets/reports/monthly?month=2024-06');
    expect(report.body).toEqual({
      month: '2024-06',
      models: [{ model: 'AC-2000', tickets: 2, topFaults: [{ faultCode: 'VIB-TREND', count: 2, share: 1 }] }],
    });
    expect((await api('GET', '/api/tickets/reports/monthly')).body.month).toBe('2024-05');
    expect(await api('GET', '/api/tickets/reports/monthly?month=2024-13')).toMatchObject({
      status: 400,
      body: { field: 'month' },
    });
    expect((await api('GET', '/api/tickets/sla-policy')).body.policy.P1).toEqual({
      respondMinutes: 15,
      resolveMinutes: 240,
    });
  });

  it('manages webhook targets without showing their secrets again', async () => {
    const created = await api('POST', '/api/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['ticket.opened'],
    });
    expect(created.status).toBe(201);
    expect(created.body.webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await api('POST', '/api/webhooks', { url: 'ftp://example.com/x' })).toMatchObject({
      status: 400,
      body: { field: 'url' },
    });
    expect(
      await api('POST', '/api/webhooks', { url: 'http://example.com/x', secret: 'short' }),
    ).toMatchObject({ status: 400, body: { field: 'secret' } });
    const listed = await api('GET', '/api/webhooks');
    expect(listed.body.webhooks).toEqual([
      {
        id: created.body.webhook.id,
        url: 'http://127.0.0.1:9/hook',
        events: ['ticket.opened'],
        source: 'api',
        createdAt: new Date(now).toISOString(),
      },
    ]);
    expect(await api('GET', '/api/webhooks/deliveries?state=pending')).toEqual({
      status: 200,
      body: { deliveries: [] },
    });
    expect((await api('DELETE', `/api/webhooks/${created.body.webhook.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/webhooks/${created.body.webhook.id}`)).status).toBe(404);
  });

  it('shows the customer progress behind the status link, without internals', async () => {
    const ticket = await service.getTicket('T-1');
    const view = await api('GET', `/api/status/${ticket.statusToken}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      ticket: 'T-1',
      status: 'closed',
      statusText: 'The case is closed.',
      servicePartner: null, // the outlet was deleted since
      resolveBy: null,
    });
    expect(view.body.steps.map((s: { status: string }) => s.status)).toEqual([
      'open',
      'acknowledged',
      'dispatched',
      'in_progress',
      'resolved',
      'closed',
    ]);
    const text = JSON.stringify(view.body);
    for (const secret of ['dana', 'tom', 'took long', ticket.statusToken]) expect(text).not.toContain(secret);
    expect(await api('GET', '/api/status/not-a-real-token')).toMatchObject({
      status: 404,
      body: { error: expect.stringContaining('no service case') },
    });
  });
});
