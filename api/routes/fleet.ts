/**
 * Fleet health: one answer with every device's health state, score and reasons, its newest reading and
 * the fleet's counts, built from three bulk reads (registry, active tickets, latest readings) so a
 * dashboard can poll it every few seconds whatever the fleet size.
 */
import { Router } from 'express';
import type { Device, Reading } from '../../core/types.js';
import type { DeviceRegistry } from '../../devices/registry.js';
import type { TelemetryStore } from '../../store/telemetry/port.js';
import { comparePriority } from '../../tickets/priority.js';
import type { TicketStore } from '../../tickets/store.js';
import { ACTIVE_STATUSES, PRIORITIES, type Priority, type Ticket } from '../../tickets/types.js';
import { iso } from '../../tickets/view.js';
import { HttpError, type RouteModule, route } from '../http.js';

export const HEALTH_STATES = ['healthy', 'watch', 'warning', 'critical', 'offline'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** A device that went quiet less than this long ago is taken to be reconnecting, not offline. */
export const OFFLINE_AFTER_MS = 5 * 60_000;

/**
 * How bad each state is, higher is worse. Offline outranks watch: a silent device cannot show whether its
 * data-quality problem went away, and someone has to look at it either way.
 */
const STATE_RANK: Record<HealthState, number> = { critical: 4, warning: 3, offline: 2, watch: 1, healthy: 0 };

/** Score band of each state: the top for one reason, lowered by each further reason down to the floor. */
const SCORE_BAND: Record<HealthState, { top: number; floor: number }> = {
  healthy: { top: 100, floor: 100 },
  watch: { top: 85, floor: 70 },
  offline: { top: 65, floor: 50 },
  warning: { top: 45, floor: 30 },
  critical: { top: 25, floor: 0 },
};
const SCORE_STEP = 5;

export interface DeviceHealth {
  id: string;
  model: string;
  customer: string | null;
  online: boolean;
  lastSeenAt: string | null;
  health: HealthState;
  /** 0–100, higher is healthier; orders devices by state first, then by how many reasons they have. */
  score: number;
  /** Why the device is not healthy, worst first; empty when healthy. */
  reasons: string[];
  /** The newest stored reading, time as ISO-8601 UTC. */
  latest: { ts: string; metrics: Record<string, number> } | null;
  /** Tickets on the device in an active status. */
  openTickets: number;
}

export interface FleetSummary {
  devices: number;
  online: number;
  /** Devices per health state. */
  health: Record<HealthState, number>;
  /** Active tickets per priority, including tickets on devices that are not registered. */
  openTickets: Record<Priority, number> & { total: number };
  /** Active tickets past their respond-by (without a first response) or resolve-by time. */
  slaOverdue: number;
}

export interface FleetHealth {
  generatedAt: string;
  summary: FleetSummary;
  devices: DeviceHealth[];
}

/** The state one active ticket puts its device in. */
function ticketState(ticket: Ticket): HealthState {
  const machine = ticket.category === 'machine';
  const criticalNow = ticket.conditions.some((c) => c.state === 'active' && c.severity === 'critical');
  if (machine && (ticket.priority === 'P1' || criticalNow)) return 'critical';
  if (ticket.priority !== 'P3') return 'warning';
  return 'watch';
}

function ticketReason(ticket: Ticket): string {
  const others = ticket.conditions
    .filter((c) => c.state === 'active' && c.faultCode !== ticket.faultCode)
    .map((c) => c.faultCode);
  const cleared = ticket.conditions.length > 0 && ticket.conditions.every((c) => c.state === 'cleared');
  const tail = cleared ? ' (condition cleared)' : others.length > 0 ? `; also ${others.join(', ')}` : '';
  return `${ticket.priority} ${ticket.id} ${ticket.status}: ${ticket.title}${tail}`;
}

const worse = (a: HealthState, b: HealthState) => (STATE_RANK[b] > STATE_RANK[a] ? b : a);

/** One device's health from its active tickets (in any order) and its newest reading, at `now`. */
export function deviceHealth(
  device: Device,
  activeTickets: readonly Ticket[],
  latest: Reading | undefined,
  now: number,
): DeviceHealth {
  const tickets = [...activeTickets].sort((a, b) => comparePriority(a.priority, b.priority));
  let health: HealthState = 'healthy';
  for (const ticket of tickets) health = worse(health, ticketState(ticket));
  const reasons = tickets.map(ticketReason);

  const seenAt = device.lastSeenAt === null ? undefined : Date.parse(device.lastSeenAt);
  const heardAt = Math.max(seenAt ?? Number.NEGATIVE_INFINITY, latest?.ts ?? Number.NEGATIVE_INFINITY);
  if (!device.online && now - heardAt > OFFLINE_AFTER_MS) {
    const reason = Number.isFinite(heardAt) ? `offline, last heard ${iso(heardAt)}` : 'never heard from';
    if (STATE_RANK.offline > STATE_RANK[health]) {
      health = 'offline';
      reasons.unshift(reason);
    } else reasons.push(reason);
  }

  const band = SCORE_BAND[health];
  return {
    id: device.id,
    model: device.model,
    customer: device.customer,
    online: device.online,
    lastSeenAt: device.lastSeenAt,
    health,
    score: Math.max(band.floor, band.top - SCORE_STEP * Math.max(0, reasons.length - 1)),
    reasons,
    latest: latest ? { ts: iso(latest.ts), metrics: latest.metrics } : null,
    openTickets: tickets.length,
  };
}

function isOverdue(ticket: Ticket, now: number): boolean {
  return (ticket.firstResponseAt === null && ticket.respondDueAt < now) || ticket.resolveDueAt < now;
}

/** The whole fleet in one pass over the devices, the active tickets and the newest readings. */
export function fleetHealth(
  devices: readonly Device[],
  activeTickets: readonly Ticket[],
  latest: readonly Reading[],
  now: number,
): FleetHealth {
  const ticketsByDevice = new Map<string, Ticket[]>();
  const openTickets = { P1: 0, P2: 0, P3: 0, total: 0 };
  let slaOverdue = 0;
  for (const ticket of activeTickets) {
    const list = ticketsByDevice.get(ticket.device);
    if (list) list.push(ticket);
    else ticketsByDevice.set(ticket.device, [ticket]);
    openTickets[ticket.priority] += 1;
    openTickets.total += 1;
    if (isOverdue(ticket, now)) slaOverdue += 1;
  }
  const latestByDevice = new Map(latest.map((reading) => [reading.device, reading]));

  const health = Object.fromEntries(HEALTH_STATES.map((state) => [state, 0])) as Record<HealthState, number>;
  let online = 0;
  const rows = devices.map((device) => {
    const row = deviceHealth(
      device,
      ticketsByDevice.get(device.id) ?? [],
      latestByDevice.get(device.id),
      now,
    );
    health[row.health] += 1;
    if (device.online) online += 1;
    return row;
  });
  rows.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return {
    generatedAt: iso(now),
    summary: { devices: devices.length, online, health, openTickets, slaOverdue },
    devices: rows,
  };
}

export interface FleetRouteDeps {
  registry: DeviceRegistry;
  ticketStore: TicketStore;
  telemetry: TelemetryStore;
  /** Wall clock, for the offline grace period and overdue deadlines. */
  clock?: () => number;
}

/** `GET /api/fleet/health`: what a service manager's overview shows; `/api/fleet/health/{id}`: one device of it. */
export function fleetRoutes(deps: FleetRouteDeps): RouteModule {
  const clock = deps.clock ?? Date.now;
  const router = Router();
  router.get(
    '/health',
    route(async (_req, res) => {
      const [tickets, latest] = await Promise.all([
        deps.ticketStore.listTickets({ status: ACTIVE_STATUSES }),
        deps.telemetry.latest(),
      ]);
      res.json(fleetHealth(deps.registry.list(), tickets, latest, clock()));
    }),
  );
  router.get(
    '/health/:id',
    route(async (req, res) => {
      const id = String(req.params.id);
      const device = deps.registry.get(id);
      if (!device) throw new HttpError(404, `no device ${id}`);
      const [tickets, [latest]] = await Promise.all([
        deps.ticketStore.listTickets({ device: id, status: ACTIVE_STATUSES }),
        deps.telemetry.latest([id]),
      ]);
      res.json(deviceHealth(device, tickets, latest, clock()));
    }),
  );
  return { basePath: '/api/fleet', router, openapi: FLEET_OPENAPI };
}

const counts = (keys: readonly string[]) => ({
  type: 'object',
  properties: Object.fromEntries(keys.map((key) => [key, { type: 'integer' }])),
});

const DEVICE_HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    model: { type: 'string' },
    customer: { type: ['string', 'null'] },
    online: { type: 'boolean' },
    lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
    health: { enum: HEALTH_STATES },
    score: { type: 'integer', minimum: 0, maximum: 100 },
    reasons: { type: 'array', items: { type: 'string' } },
    latest: {
      type: ['object', 'null'],
      properties: {
        ts: { type: 'string', format: 'date-time' },
        metrics: { type: 'object', additionalProperties: { type: 'number' } },
      },
    },
    openTickets: { type: 'integer' },
  },
};

const json = (schema: unknown) => ({ 'application/json': { schema } });

const FLEET_OPENAPI: Record<string, unknown> = {
  '/api/fleet/health': {
    get: {
      summary:
        'Health of every device (least healthy first) and the fleet counts. critical: an active P1 machine ticket or an active critical machine condition; warning: an active P2 ticket (or P1 data-quality); offline: not connected and silent for over 5 minutes; watch: an active P3 ticket or data-quality condition; healthy otherwise',
      responses: {
        200: {
          description: '{generatedAt, summary, devices}',
          content: json({
            type: 'object',
            required: ['generatedAt', 'summary', 'devices'],
            properties: {
              generatedAt: { type: 'string', format: 'date-time' },
              summary: {
                type: 'object',
                properties: {
                  devices: { type: 'integer' },
                  online: { type: 'integer' },
                  health: counts(HEALTH_STATES),
                  openTickets: counts([...PRIORITIES, 'total']),
                  slaOverdue: { type: 'integer' },
                },
              },
              devices: { type: 'array', items: DEVICE_HEALTH_SCHEMA },
            },
          }),
        },
      },
    },
  },
  '/api/fleet/health/{id}': {
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
    get: {
      summary: 'Health of one device, as in /api/fleet/health',
      responses: {
        200: { description: 'the device health', content: json(DEVICE_HEALTH_SCHEMA) },
        404: { description: 'no such device', content: json({ $ref: '#/components/schemas/Error' }) },
      },
    },
  },
};
