import { EventEmitter } from 'node:events';
import type { EventMap } from './events.js';

type Listener<K extends keyof EventMap> = (...args: EventMap[K]) => void | Promise<void>;

/** Reports a listener's failure; the bus itself never throws into the emitter. */
export type ListenerErrorHandler = (event: keyof EventMap, error: unknown) => void;

/**
 * The typed event bus between broker → ingest → rules → tickets → dashboard. Every listener is
 * isolated: a throwing or rejecting listener is reported and the others still run, so a broken
 * detector cannot stop ingestion.
 */
export class EventBus {
  readonly #emitter = new EventEmitter<{ [K in keyof EventMap]: EventMap[K] }>();
  readonly #onListenerError: ListenerErrorHandler;

  constructor(onListenerError: ListenerErrorHandler) {
    this.#onListenerError = onListenerError;
    this.#emitter.setMaxListeners(100);
  }

  on<K extends keyof EventMap>(event: K, listener: Listener<K>): () => void {
    const isolated = (...args: EventMap[K]) => {
      try {
        const result = listener(...args);
        if (result instanceof Promise) result.catch((error) => this.#onListenerError(event, error));
      } catch (error) {
        this.#onListenerError(event, error);
      }
    };
    // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's generic overloads cannot express the mapped listener type.
    this.#emitter.on(event as any, isolated as any);
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    return () => this.#emitter.off(event as any, isolated as any);
  }

  emit<K extends keyof EventMap>(event: K, ...args: EventMap[K]): void {
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    (this.#emitter.emit as any)(event, ...args);
  }

  listenerCount(event: keyof EventMap): number {
    return this.#emitter.listenerCount(event);
  }
}
