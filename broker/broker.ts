import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { EventBus } from '../core/bus.js';
import type { DeviceKeys } from '../core/device-keys.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { DEVICE_ID_PATTERN, mayPublish, maySubscribe, publishedKind } from '../core/wire.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { Ingest, Sender } from '../ingest/ingest.js';
import { bridgeConnection } from './mqtt5-bridge.js';

export interface BrokerDeps {
  registry: DeviceRegistry;
  bus: EventBus;
  ingest: Ingest;
  /** Numbers the devices' readings carry (see Reading.deviceKey). */
  deviceKeys: DeviceKeys;
  metrics: Metrics;
  log: Logger;
  clock?: () => number;
}

// CONNACK return codes, MQTT 3.1.1 section 3.2.2.3.
const BAD_USERNAME_OR_PASSWORD = 4;
/** aedes's default cap on inbound QoS 2 in flight per client, announced to MQTT 5 clients as Receive Maximum. */
const MAX_INFLIGHT_INBOUND = 1000;

/** The MQTT side of the platform: an aedes broker that only lets registered devices in, and only to their own topics. */
export class Broker {
  readonly aedes: Aedes;
  /** Authenticated device of each connection (the MQTT client id is the device's choice, the username is not). */
  readonly #senderOf = new WeakMap<Client, Sender>();
  /** Open sessions per device: a device may hold several (other client ids), and is online while any is open. */
  readonly #sessions = new Map<string, Set<Client>>();
  readonly #clock: () => number;

  private constructor(
    aedes: Aedes,
    private readonly deps: BrokerDeps,
  ) {
    this.aedes = aedes;
    this.#clock = deps.clock ?? Date.now;
  }

  static async create(deps: BrokerDeps): Promise<Broker> {
    const aedes = await Aedes.createBroker({
      drainTimeout: 30_000, // protects delivery to other clients from one frozen subscriber
      connectTimeout: 10_000,
      maxInflightInbound: MAX_INFLIGHT_INBOUND,
    });
    const broker = new Broker(aedes, deps);
    broker.#wire();
    return broker;
  }

  /** The device id a connection authenticated as. */
  deviceOf(client: Client): string | undefined {
    return this.#senderOf.get(client)?.id;
  }

  /** Serves one MQTT connection (TCP, TLS or WebSocket stream); MQTT 5 clients go through the bridge. */
  handle(stream: Duplex): void {
    bridgeConnection(
      stream,
      {
        authorizePublish: (identity, topic) =>
          identity.username !== undefined && mayPublish(identity.username, topic),
        onRefusedPublish: () => this.deps.metrics.aclRefusals.inc({ action: 'publish' }),
        receiveMaximum: MAX_INFLIGHT_INBOUND,
      },
      (bridged) => this.aedes.handle(bridged),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.aedes.close(() => resolve()));
  }

  #wire(): void {
    const { aedes, deps } = this;
    const { metrics, log, registry, ingest } = deps;

    aedes.authenticate = (client, username, password, callback) => {
      const refuse = () => {
        metrics.authFailures.inc();
        const error = new Error('bad username or password') as AuthenticateError;
        error.returnCode = BAD_USERNAME_OR_PASSWORD;
        callback(error, false);
      };
      if (!username || !password || !DEVICE_ID_PATTERN.test(username)) return refuse();
      registry.authenticate(username, password.toString('utf8')).then(
        (ok) => {
          if (!ok) return refuse();
          this.#senderOf.set(client, { id: username, key: deps.deviceKeys.keyOf(username) });
          callback(null, true);
        },
        (error: unknown) => {
          log.error({ err: error }, 'authentication failed unexpectedly');
          refuse();
        },
      );
    };

    aedes.authorizePublish = (client, packet, callback) => {
      const sender = client ? this.#senderOf.get(client) : undefined;
      const kind = sender ? publishedKind(sender.id, packet.topic) : null;
      if (!sender || kind === null) {
        metrics.aclRefusals.inc({ action: 'publish' });
        // MQTT-3.3.5-2: a 3.1.1 server that refuses a PUBLISH may only acknowledge or close; closing tells the device.
        return callback(new Error(`device ${sender?.id ?? '?'} may not publish to ${packet.topic}`));
      }
      const device = sender.id;
      if (!registry.has(device)) {
        // Removed while connected; its session is being closed.
        return callback(new Error(`device ${device} is no longer registered`));
      }
      if (kind === 'telemetry') {
        try {
          ingest.handleTelemetry(sender, packet.payload as Buffer, packet.qos > 0, () => callback(null));
        } catch (error) {
          // Never let one message take the broker down; the device is told by a closed connection.
          log.error({ err: error, device }, 'telemetry message could not be handled');
          callback(error as Error);
        }
        return;
      }
      const status = packet.payload.toString().trim();
      if (status === 'online' || status === 'offline')
        registry.setOnline(device, status === 'online', this.#clock());
      callback(null);
    };

    aedes.authorizeSubscribe = (client, subscription, callback) => {
      const device = this.#senderOf.get(client)?.id;
      if (device && maySubscribe(device, subscription.topic)) return callback(null, subscription);
      metrics.aclRefusals.inc({ action: 'subscribe' });
      callback(null, null); // SUBACK 0x80 for this filter; the connection stays up
    };

    aedes.on('clientReady', (client) => {
      metrics.connectedDevices.inc();
      const device = this.#senderOf.get(client)?.id;
      if (!device) return;
      const sessions = this.#sessions.get(device) ?? new Set<Client>();
      sessions.add(client);
      this.#sessions.set(device, sessions);
      registry.setOnline(device, true, this.#clock());
    });
    aedes.on('clientDisconnect', (client) => {
      metrics.connectedDevices.dec();
      const device = this.#senderOf.get(client)?.id;
      const sessions = device ? this.#sessions.get(device) : undefined;
      if (!device || !sessions?.delete(client) || sessions.size > 0) return;
      this.#sessions.delete(device);
      registry.setOnline(device, false, this.#clock());
    });
    // A removed device or a rotated token ends the sessions that were authenticated with the old credentials.
    const endSessions = (device: string) => {
      for (const client of this.#sessions.get(device) ?? []) client.close();
    };
    deps.bus.on('deviceRemoved', endSessions);
    deps.bus.on('deviceTokenRotated', endSessions);
    aedes.on('clientError', (client, error) => {
      log.debug({ device: this.#senderOf.get(client)?.id, err: error.message }, 'mqtt client error');
    });
    aedes.on('connectionError', (_client, error) => {
      log.debug({ err: error.message }, 'mqtt connection error');
    });
  }
}
