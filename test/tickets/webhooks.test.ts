import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../core/bus.js';
import { createTicketService, type TicketService } from '../../tickets/service.js';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import type { WebhookTarget } from '../../tickets/types.js';
import { WebhookDispatcher } from '../../tickets/webhooks.js';
import { finding, T0 } from './fixtures.js';

const SECRET = 'a-shared-secret-of-some-length';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 that answers each request with the next status in `script` (200 when it runs out). */
async function startReceiver(
  script: number[],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = script.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

/** Verifies the signature header the way a receiver would, without the platform's code. */
function signatureValid(secret: string, body: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook dispatcher', () => {
  let store: SqliteTicketStore;
  let bus: EventBus;
  let service: TicketService;
  let dispatcher: WebhookDispatcher | undefined;
  const servers: Server[] = [];

  beforeEach(async () => {
    store = new SqliteTicketStore(':memory:');
    await store.open();
    bus = new EventBus((_event, error) => {
      throw error;
    });
    service = createTicketService({ store, bus, clock: () => T0 });
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    for (const server of servers.splice(0)) server.close();
    await store.close();
  });

  const target = (url: string, extra: Partial<WebhookTarget> = {}): WebhookTarget => ({
    id: `w-${Math.random().toString(36).slice(2)}`,
    url,
    secret: SECRET,
    events: ['ticket.opened', 'ticket.updated'],
    source: 'api',
    createdAt: T0,
    ...extra,
  });

  const startDispatcher = async (
    options: Partial<ConstructorParameters<typeof WebhookDispatcher>[0]> = {},
  ) => {
    dispatcher = new WebhookDispatcher({
      store,
      bus,
      backoffBaseMs: 20,
      maxAttempts: 6,
      timeoutMs: 2_000,
      ...options,
    });
    await dispatcher.start();
    return dispatcher;
  };

  it('retries a failing receiver with backoff, then delivers a body whose signature verifies', async () => {
    const receiver = await startReceiver([503, 500]);
    servers.push(receiver.server);
    await store.saveWebhook(target(receiver.url, { id: 'w-1' }));
    await startDispatcher();

    const [{ ticket }] = await service.handleFinding(finding());
    await dispatcher!.idle();

    expect(receiver.received).toHaveLength(3);
    const bodies = new Set(receiver.received.map((r) => r.body));
    expect(bodies.size).toBe(1);
    const last = receiver.received[2];
    expect(signatureValid(SECRET, last.body, last.headers['x-forewarn-signature'])).toBe(true);
    expect(signatureValid('another-secret-entirely!', last.body, last.headers['x-forewarn-signature'])).toBe(
      false,
    );
    expect(last.headers['x-forewarn-event']).toBe('ticket.opened');
    expect(new Set(receiver.received.map((r) => r.headers['x-forewarn-delivery'])).size).toBe(1);
    const payload = JSON.parse(last.body);
    expect(payload).toMatchObject({
      event: 'ticket.opened',
      ticket: { id: ticket.id, device: 'ac-1', openedAt: new Date(T0).toISOString() },
    });

    const [delivery] = await store.listDeliveries({ limit: 10 });
    expect(delivery).toMatchObject({
      id: last.headers['x-forewarn-delivery'],
      webhookId: 'w-1',
      state: 'delivered',
      nextAttemptAt: null,
    });
    expect(delivery.attempts.map((a) => a.status)).toEqual([503, 500, 200]);
    // Exponential backoff: the second wait is about twice the first.
    const [a, b, c] = delivery.attempts.map((x) => x.at);
    expect(b - a).toBeGreaterThanOrEqual(20);
    expect(c - b).toBeGreaterThanOrEqual(40);
  });

  it('gives up after the bounded number of attempts, and at once on a refusal', async () => {
    const down = await startReceiver([500, 500, 500, 500, 500]);
    const refusing = await startReceiver([401]);
    servers.push(down.server, refusing.server);
    await store.saveWebhook(target(down.url, { id: 'down' }));
    await store.saveWebhook(target(refusing.url, { id: 'refusing' }));
    await startDispatcher({ maxAttempts: 3 });

    await service.handleFinding(finding());
    await dispatcher!.idle();
    expect(down.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    const [failedDown] = await store.listDeliveries({ webhookId: 'down', limit: 10 });
    expect(failedDown).toMatchObject({ state: 'failed', nextAttemptAt: null });
    expect(failedDown.attempts.map((x) => x.error)).toEqual([
      'target answered 500',
      'target answered 500',
      'target answered 500',
    ]);
    const [failedRefused] = await store.listDeliveries({ webhookId: 'refusing', limit: 10 });
    expect(failedRefused.attempts.map((x) => x.status)).toEqual([401]);
    expect(failedRefused.state).toBe('failed');
  });

  it('retries when nobody listens, and resumes a pending delivery after a restart', async () => {
    const receiver = await startReceiver([]);
    const { port } = receiver.server.address() as AddressInfo;
    receiver.server.close();
    await new Promise((resolve) => receiver.server.once('close', resolve));
    await store.saveWebhook(target(`http://127.0.0.1:${port}/hook`, { id: 'w-1' }));
    await startDispatcher({ backoffBaseMs: 60_000 });
    await service.handleFinding(finding());
    const deadline = Date.now() + 2_000;
    while ((await store.listDeliveries({ limit: 1 }))[0]?.attempts.length !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await dispatcher!.stop();
    const [pending] = await store.listDeliveries({ limit: 1 });
    expect(pending).toMatchObject({ state: 'pending' });
    expect(pending.attempts[0]).toMatchObject({
      status: null,
      error: expect.stringContaining('ECONNREFUSED'),
    });

    // The receiver comes back on the same port; a new dispatcher picks the delivery up.
    const back = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        backBodies.push({ body, signature: req.headers['x-forewarn-signature'] as string });
        res.end();
      });
    });
    const backBodies: { body: string; signature: string }[] = [];
    servers.push(back);
    await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', resolve));
    await store.saveDelivery({ ...pending, nextAttemptAt: Date.now() });
    await startDispatcher();
    await dispatcher!.idle();
    expect(backBodies).toHaveLength(1);
    expect(backBodies[0].body).toBe(pending.body);
    expect(signatureValid(SECRET, backBodies[0].body, backBodies[0].signature)).toBe(true);
    expect((await store.listDeliveries({ limit: 1 }))[0]).toMatchObject({ state: 'delivered' });
  });

  it('sends only the events a target subscribed to, and registers configured targets once', async () => {
    const receiver = await startReceiver([]);
    servers.push(receiver.server);
    const configured = [{ url: receiver.url, secret: SECRET, events: ['ticket.updated' as const] }];
    await startDispatcher({ targets: configured });
    await dispatcher!.stop();
    await startDispatcher({ targets: configured });
    expect(await store.listWebhooks()).toMatchObject([
      { url: receiver.url, source: 'config', events: ['ticket.updated'] },
    ]);

    await service.handleFinding(finding());
    await service.handleFinding(finding({ at: T0 + 1, severity: 'critical' }));
    await dispatcher!.idle();
    expect(receiver.received.map((r) => r.headers['x-forewarn-event'])).toEqual(['ticket.updated']);
    expect(JSON.parse(receiver.received[0].body).change).toMatchObject({
      kind: 'finding',
      entries: [{ action: 'finding' }, { action: 'priority' }],
    });
  });
});
