import { createServer, type Server } from 'node:http';
import { createHttpApp } from '../api/app.js';
import { deviceRoutes } from '../api/routes/devices.js';
import { findingRoutes } from '../api/routes/findings.js';
import { fleetRoutes } from '../api/routes/fleet.js';
import { ingestRoutes } from '../api/routes/ingest.js';
import { outletRoutes } from '../api/routes/outlets.js';
import { statusRoutes } from '../api/routes/status.js';
import { knowledgeRoutes, ticketRoutes } from '../api/routes/tickets.js';
import { webhookRoutes } from '../api/routes/webhooks.js';
import { Broker } from '../broker/broker.js';
import { startMqttListeners } from '../broker/listeners.js';
import { dashboardRoutes } from '../dashboard/serve.js';
import { DeviceRegistry } from '../devices/registry.js';
import { SqliteDeviceStore } from '../devices/sqlite-store.js';
import { Ingest } from '../ingest/ingest.js';
import { defaultRulesConfig, loadRulesConfig } from '../rules/config.js';
import { createRulesEngine, type LiveRules } from '../rules/live.js';
import { createTelemetryStore } from '../store/telemetry/create.js';
import type { TelemetryStore } from '../store/telemetry/port.js';
import { createTicketService, type TicketService } from '../tickets/service.js';
import { startSlaMonitor } from '../tickets/sla-monitor.js';
import { SqliteTicketStore } from '../tickets/sqlite-store.js';
import type { TicketStore } from '../tickets/store.js';
import { WebhookDispatcher } from '../tickets/webhooks.js';
import { EventBus } from './bus.js';
import { type Config, type ConfigInput, type LoadConfigOptions, loadConfig } from './config.js';
import { DeviceKeys } from './device-keys.js';
import { listen } from './listen.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { VERSION } from './version.js';

export interface Platform {
  config: Config;
  mqttPort: number;
  mqttTlsPort: number | undefined;
  httpPort: number;
  /** The admin token if it is known in this process: configured, or generated at this first start. */
  adminToken: string | undefined;
  bus: EventBus;
  telemetry: TelemetryStore;
  registry: DeviceRegistry;
  ingest: Ingest;
  broker: Broker;
  tickets: TicketService;
  ticketStore: TicketStore;
  rules: LiveRules;
  metrics: Metrics;
  log: Logger;
  /** Stops accepting, commits what was accepted, closes everything. */
  stop(): Promise<void>;
}

export interface StartOptions extends Omit<LoadConfigOptions, 'overrides'> {
  /** Wall clock; tests inject a simulated one. */
  clock?: () => number;
  log?: Logger;
}

const SEEN_FLUSH_MS = 5_000;

/** The composition root: builds every part from one validated configuration and hands each its dependencies. */
export async function startPlatform(
  overrides: ConfigInput = {},
  options: StartOptions = {},
): Promise<Platform> {
  const { config, warnings } = loadConfig({ ...options, env: options.env ?? {}, overrides });
  const log = options.log ?? createLogger(config.logLevel);
  for (const warning of warnings) log.warn(warning);
  const clock = options.clock ?? Date.now;
  const metrics = createMetrics();
  const bus = new EventBus((event, error) => log.error({ err: error, event }, 'event listener failed'));

  let ready = false;
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    ready = false;
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.error({ err: error }, 'shutdown step failed');
      }
    }
  };

  try {
    const telemetry = await createTelemetryStore(config, (error) =>
      log.warn({ err: error }, 'telemetry store background work failed'),
    );
    const deviceStore = new SqliteDeviceStore(config.dataDir);
    const registry = new DeviceRegistry(deviceStore, bus, clock);
    const ingest = new Ingest(config, { store: telemetry, registry, bus, metrics, log, clock });
    const ticketStore = new SqliteTicketStore(config.dataDir);
    const tickets = createTicketService({
      store: ticketStore,
      clock,
      bus,
      slaPolicy: config.tickets.sla,
      deviceLocation: (id) => {
        const device = registry.get(id);
        return device?.lat != null && device.lon != null ? { lat: device.lat, lon: device.lon } : undefined;
      },
      deviceModel: (id) => registry.get(id)?.model,
    });

    const httpServer = createServer();
    const app = createHttpApp({
      modules: [
        deviceRoutes({ registry, telemetry }),
        ingestRoutes({ rejects: ingest.rejects }),
        ticketRoutes({ service: tickets, clock }),
        knowledgeRoutes({ service: tickets }),
        outletRoutes({ store: ticketStore, clock }),
        findingRoutes({ store: ticketStore }),
        webhookRoutes({ store: ticketStore, clock }),
        statusRoutes({ service: tickets, store: ticketStore }),
        fleetRoutes({ registry, ticketStore, telemetry, clock }),
        dashboardRoutes(),
      ],
      isAdminToken: async (token) =>
        (config.adminToken !== undefined && token === config.adminToken) || registry.isAdminToken(token),
      isReady: () => ready,
      metricsRegistry: metrics.registry,
      log,
      version: VERSION,
    });
    httpServer.on('request', app);
    const httpPort = await listen(httpServer, config.http.port, config.host);
    cleanups.push(() => closeHttp(httpServer));

    await telemetry.open();
    cleanups.push(() => telemetry.close());
    await deviceStore.open();
    cleanups.push(() => deviceStore.close());
    await registry.load();
    await ticketStore.open();
    cleanups.push(() => ticketStore.close());
    const webhooks = new WebhookDispatcher({
      store: ticketStore,
      bus,
      targets: config.tickets.webhooks,
      onError: (error) => log.warn({ err: error }, 'webhook delivery problem'),
    });
    await webhooks.start();
    cleanups.push(() => webhooks.stop());
    const sla = startSlaMonitor({
      service: tickets,
      cronExpression: config.tickets.slaCron,
      clock,
      onError: (error) => log.error({ err: error }, 'SLA check failed'),
    });
    cleanups.push(() => sla.stop());

    const rules = createRulesEngine({
      bus,
      rules: config.rules.file ? loadRulesConfig(config.rules.file) : defaultRulesConfig(),
      deviceInfo: (id) => registry.get(id),
      onFinding: async (finding) => {
        await tickets.handleFinding(finding);
      },
      onEvaluated: (readings) => {
        metrics.rulesReadingsEvaluated.inc(readings.length);
        const now = clock();
        for (const reading of readings) metrics.rulesEvaluationLag.observe((now - reading.ts) / 1000);
      },
      clock,
      offlineCheckCron: config.rules.offlineCheckCron,
      snapshotDir: config.dataDir,
      snapshotIntervalMs: config.rules.snapshotIntervalMs,
      log,
    });
    await rules.start();
    cleanups.push(() => rules.stop());
    const generatedToken = config.adminToken ? undefined : await registry.ensureAdminToken();
    if (generatedToken)
      log.warn('generated the admin API token; it is shown once, by the command that started the server');

    const seenTimer = setInterval(() => {
      registry.flushSeen().catch((error) => log.error({ err: error }, 'saving last-seen times failed'));
    }, SEEN_FLUSH_MS);
    cleanups.push(async () => {
      clearInterval(seenTimer);
      await registry.flushSeen();
    });

    cleanups.push(() => ingest.close());
    const broker = await Broker.create({
      registry,
      ingest,
      deviceKeys: new DeviceKeys(),
      bus,
      metrics,
      log,
      clock,
    });
    const listeners = await startMqttListeners(config, httpServer, (stream) => broker.handle(stream));
    cleanups.push(async () => {
      const listenersClosed = listeners.stopAccepting();
      // Drain before the broker closes so every accepted QoS 1 message still gets its PUBACK.
      await ingest.drain();
      await broker.close();
      await listenersClosed;
    });

    ready = true;
    log.info({ mqttPort: listeners.tcpPort, httpPort, store: telemetry.kind }, 'forewarn is ready');
    return {
      config,
      mqttPort: listeners.tcpPort,
      mqttTlsPort: listeners.tlsPort,
      httpPort,
      adminToken: config.adminToken ?? generatedToken,
      bus,
      telemetry,
      registry,
      ingest,
      broker,
      tickets,
      ticketStore,
      rules,
      metrics,
      log,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
