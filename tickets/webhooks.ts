/**
 * Outbound webhooks: every ticketOpened/ticketUpdated goes to each subscribed target as a signed JSON
 * POST. Failed deliveries are retried with exponential backoff up to a bounded number of attempts;
 * every attempt is logged in the ticket store, and deliveries still pending when the process stops
 * are resumed by the next start().
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { EventBus } from '../core/bus.js';
import type { TicketStore } from './store.js';
import type { Ticket, TicketChange, WebhookDelivery, WebhookEvent, WebhookTarget } from './types.js';
import { changeView, iso, ticketView } from './view.js';

export const SIGNATURE_HEADER = 'X-Forewarn-Signature';
export const EVENT_HEADER = 'X-Forewarn-Event';
export const DELIVERY_HEADER = 'X-Forewarn-Delivery';

/** `sha256=<hex HMAC-SHA256(secret, body)>`, the value of the signature header. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A webhook target from the configuration file. */
export interface ConfiguredWebhook {
  url: string;
  secret: string;
  /** Both events when omitted. */
  events?: WebhookEvent[];
}

export interface WebhookDispatcherOptions {
  store: TicketStore;
  bus: EventBus;
  /** Wall clock for the delivery log, epoch ms. */
  clock?: () => number;
  /** Registered at start() unless a target with the same URL exists. */
  targets?: readonly ConfiguredWebhook[];
  /** Attempts per delivery, the first included (default 6). */
  maxAttempts?: number;
  /** Wait before the first retry; doubles after each (default 5 s). */
  backoffBaseMs?: number;
  /** Longest wait between attempts (default 10 min). */
  backoffMaxMs?: number;
  /** A target that has not answered in this time has failed the attempt (default 10 s). */
  timeoutMs?: number;
  /** Told about failures of the dispatcher itself (not of targets: those go to the delivery log). */
  onError?: (error: unknown) => void;
}

/** Statuses worth trying again; any other 4xx means the request itself is refused. */
const RETRYABLE_CLIENT_STATUSES = new Set([408, 425, 429]);

export class WebhookDispatcher {
  readonly #store: TicketStore;
  readonly #bus: EventBus;
  readonly #clock: () => number;
  readonly #configured: readonly ConfiguredWebhook[];
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #timeoutMs: number;
  readonly #onError: (error: unknown) => void;
  /** Deliveries this process is working on: waiting for a retry (timer) or in flight (null). */
  readonly #working = new Map<string, NodeJS.Timeout | null>();
  #idleWaiters: (() => void)[] = [];
  #unsubscribe: (() => void)[] = [];
  #abort = new AbortController();

  constructor(options: WebhookDispatcherOptions) {
    this.#store = options.store;
    this.#bus = options.bus;
    this.#clock = options.clock ?? Date.now;
    this.#configured = options.targets ?? [];
    this.#maxAttempts = options.maxAttempts ?? 6;
    this.#backoffBaseMs = options.backoffBaseMs ?? 5_000;
    this.#backoffMaxMs = options.backoffMaxMs ?? 10 * 60_000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Registers configured targets, subscribes to the bus and resumes deliveries left pending. */
  async start(): Promise<void> {
    this.#abort = new AbortController();
    const known = new Set((await this.#store.listWebhooks()).map((t) => t.url));
    for (const target of this.#configured) {
      if (known.has(target.url)) continue;
      await this.#store.saveWebhook({
        id: randomUUID(),
        url: target.url,
        secret: target.secret,
        events: target.events ?? ['ticket.opened', 'ticket.updated'],
        source: 'config',
        createdAt: this.#clock(),
      });
    }
    this.#unsubscribe = [
      this.#bus.on('ticketOpened', (ticket) => this.#publish('ticket.opened', ticket, null)),
      this.#bus.on('ticketUpdated', (ticket, change) => this.#publish('ticket.updated', ticket, change)),
    ];
    for (const delivery of await this.#store.listDeliveries({ state: 'pending', limit: 10_000 })) {
      this.#schedule(delivery, Math.max(0, (delivery.nextAttemptAt ?? 0) - this.#clock()));
    }
  }

  /** Unsubscribes, cancels waiting retries and aborts requests in flight; pending deliveries stay pending. */
  async stop(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    for (const [id, timer] of this.#working) {
      if (timer) {
        clearTimeout(timer);
        this.#done(id);
      }
    }
    this.#abort.abort();
    await this.idle();
  }

  /** Resolves when no delivery is waiting or in flight in this process. */
  idle(): Promise<void> {
    if (this.#working.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #publish(event: WebhookEvent, ticket: Ticket, change: TicketChange | null): Promise<void> {
    // Counted as work from the moment the event arrives, so idle() cannot slip in before the deliveries exist.
    const publishing = `publish:${randomUUID()}`;
    this.#working.set(publishing, null);
    try {
      await this.#createDeliveries(event, ticket, change);
    } finally {
      this.#done(publishing);
    }
  }

  async #createDeliveries(event: WebhookEvent, ticket: Ticket, change: TicketChange | null): Promise<void> {
    const targets = (await this.#store.listWebhooks()).filter((t) => t.events.includes(event));
    if (targets.length === 0) return;
    const at = this.#clock();
    const body = JSON.stringify({
      id: randomUUID(),
      event,
      at: iso(at),
      ticket: ticketView(ticket),
      change: change && changeView(change),
    });
    for (const target of targets) {
      const delivery: WebhookDelivery = {
        id: randomUUID(),
        webhookId: target.id,
        event,
        ticketId: ticket.id,
        body,
        state: 'pending',
        attempts: [],
        createdAt: at,
        nextAttemptAt: at,
      };
      await this.#store.saveDelivery(delivery);
      this.#schedule(delivery, 0);
    }
  }

  #schedule(delivery: WebhookDelivery, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#working.set(delivery.id, null);
      this.#attempt(delivery)
        .catch((error) => this.#onError(error))
        .finally(() => {
          if (this.#working.get(delivery.id) === null) this.#done(delivery.id);
        });
    }, delayMs);
    this.#working.set(delivery.id, timer);
  }

  #done(id: string): void {
    this.#working.delete(id);
    if (this.#working.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #attempt(delivery: WebhookDelivery): Promise<void> {
    const target = (await this.#store.listWebhooks()).find((t) => t.id === delivery.webhookId);
    const started = this.#clock();
    const outcome = target
      ? await this.#post(target, delivery)
      : { status: null, error: 'the webhook target was deleted', retry: false };
    const attempts = [
      ...delivery.attempts,
      { at: started, status: outcome.status, error: outcome.error, durationMs: this.#clock() - started },
    ];
    const delivered = outcome.error === null;
    // Stopping: leave it pending for the next start() instead of burning an attempt on our own abort.
    if (!delivered && this.#abort.signal.aborted) return;
    const giveUp = !delivered && (!outcome.retry || attempts.length >= this.#maxAttempts);
    const wait = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** (attempts.length - 1));
    const next: WebhookDelivery = {
      ...delivery,
      attempts,
      state: delivered ? 'delivered' : giveUp ? 'failed' : 'pending',
      nextAttemptAt: delivered || giveUp ? null : this.#clock() + wait,
    };
    await this.#store.saveDelivery(next);
    if (next.state === 'pending' && !this.#abort.signal.aborted) this.#schedule(next, wait);
  }

  async #post(
    target: WebhookTarget,
    delivery: WebhookDelivery,
  ): Promise<{ status: number | null; error: string | null; retry: boolean }> {
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'forewarn-webhooks',
          [SIGNATURE_HEADER]: signBody(target.secret, delivery.body),
          [EVENT_HEADER]: delivery.event,
          [DELIVERY_HEADER]: delivery.id,
        },
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#abort.signal]),
      });
      // Drain the answer so the connection can be reused; its content does not matter.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { status: response.status, error: null, retry: false };
      const retry = response.status >= 500 || RETRYABLE_CLIENT_STATUSES.has(response.status);
      return { status: response.status, error: `target answered ${response.status}`, retry };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const message = error instanceof Error ? error.message : String(error);
      return { status: null, error: cause ? `${message} (${cause})` : message, retry: true };
    }
  }
}
