import { ISO_10816_ZONES, type ModelProfile, modelProfile } from '../../../core/models.js';
import { HealthBadge, OnlineDot } from '../components/badges.js';
import { type ChartPoint, LineChart, type Threshold } from '../components/LineChart.js';
import { Loading, LoadProblem } from '../components/Notice.js';
import { formatDateTime, formatRelative, formatValue, latestOf, localizeTimes } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../session.js';
import type { Device, DeviceHealth, TelemetryPoint, Ticket } from '../types.js';
import { TicketTable } from './Tickets.js';

const DAY = 86_400_000;
const STEP = '5m';
const STEP_MS = 5 * 60_000;

interface Telemetry {
  from: number;
  to: number;
  points: TelemetryPoint[];
}

function series(points: readonly TelemetryPoint[], metric: string): ChartPoint[] {
  return points.flatMap((p) =>
    typeof p[metric] === 'number' ? [{ t: Date.parse(p.ts), v: p[metric] }] : [],
  );
}

function vibrationLimits(profile: ModelProfile): Threshold[] {
  const zones = ISO_10816_ZONES[profile.vibrationClass];
  return [
    { value: zones.ab, label: 'A/B', above: 'fair' },
    { value: zones.bc, label: 'B/C', above: 'warning' },
    { value: zones.cd, label: 'C/D', above: 'critical' },
  ];
}

function temperatureLimits(profile: ModelProfile): Threshold[] {
  return [
    { value: profile.temperature.warningC, label: 'warn', above: 'warning' },
    { value: profile.temperature.criticalC, label: 'crit', above: 'critical' },
  ];
}

/** One device: what it is, how it is, its last 24 hours against its model's limits, and its tickets. */
export function DeviceDetail({ id }: { id: string }) {
  const path = encodeURIComponent(id);
  const device = useApi((s) => s.get<Device>(`/api/devices/${path}`), `device:${id}`);
  const health = useApi((s) => s.get<DeviceHealth>(`/api/fleet/health/${path}`), `health:${id}`).data;
  const telemetry = useApi(async (s): Promise<Telemetry> => {
    const to = Date.now();
    const from = to - DAY;
    const query = `from=${from}&to=${to}&metrics=vibration_rms,temperature_c&step=${STEP}&agg=mean`;
    const answer = await s.get<{ points: TelemetryPoint[] }>(`/api/devices/${path}/telemetry?${query}`);
    return { from, to, points: answer.points };
  }, `telemetry:${id}`);
  const tickets = useApi(
    (s) => s.get<{ tickets: Ticket[] }>(`/api/tickets?device=${path}&limit=50`),
    `tickets:${id}`,
  );

  if (!device.data) return device.error ? <LoadProblem error={device.error} /> : <Loading what={id} />;
  const info = device.data;
  const profile = modelProfile(info.model);
  const now = Date.now();
  const lastHeard = latestOf(info.lastSeenAt, health?.latest?.ts);
  const emptyText = health?.latest
    ? `No readings in the last 24 hours; the latest is from ${formatDateTime(health.latest.ts)}`
    : 'No readings in the last 24 hours';

  return (
    <>
      <nav className="crumbs">
        <a href={href.overview}>Fleet</a> / <span>{id}</span>
      </nav>
      <LoadProblem error={device.error ?? telemetry.error ?? tickets.error} />
      <header className="page-head">
        <h1>{info.id}</h1>
        {health && <HealthBadge state={health.health} />}
        {health && <span className="score">score {health.score}</span>}
        <span className="muted">{profile ? `${profile.name} · ${info.model}` : info.model}</span>
      </header>

      <div className="detail-grid">
        <section className="panel">
          <h2>Device</h2>
          <dl className="facts">
            <dt>Customer</dt>
            <dd>{info.customer ?? '—'}</dd>
            <dt>Model</dt>
            <dd>{info.model}</dd>
            <dt>Vibration class</dt>
            <dd>{profile ? `ISO 10816 class ${profile.vibrationClass}` : '—'}</dd>
            <dt>Link</dt>
            <dd>
              <OnlineDot online={info.online} />
            </dd>
            <dt>Last seen</dt>
            <dd title={formatDateTime(lastHeard)}>{formatRelative(lastHeard, now)}</dd>
            <dt>Installed</dt>
            <dd>{info.installedAt ? formatDateTime(info.installedAt) : '—'}</dd>
            <dt>Registered</dt>
            <dd>{formatDateTime(info.createdAt)}</dd>
            <dt>Site</dt>
            <dd>
              {info.lat !== null && info.lon !== null
                ? `${info.lat.toFixed(4)}, ${info.lon.toFixed(4)}`
                : '—'}
            </dd>
          </dl>
        </section>
        <section className="panel">
          <h2>Health</h2>
          {!health ? (
            <Loading what="health" />
          ) : health.reasons.length === 0 ? (
            <p className="good-news">No open tickets, no active findings, reporting normally.</p>
          ) : (
            <ul className="reasons reasons-large" data-testid="health-reasons">
              {health.reasons.map((reason) => (
                <li key={reason}>{localizeTimes(reason)}</li>
              ))}
            </ul>
          )}
          {health?.latest && (
            <p className="muted">
              Latest reading {formatRelative(health.latest.ts, now)}: vibration{' '}
              {formatValue(health.latest.metrics.vibration_rms, 'mm/s')}, temperature{' '}
              {formatValue(health.latest.metrics.temperature_c, '°C')}
            </p>
          )}
        </section>
      </div>

      <section className="panel charts">
        <h2>Last 24 hours</h2>
        {!telemetry.data || !profile ? (
          <Loading what="telemetry" />
        ) : (
          <div className="chart-grid">
            <LineChart
              title="Vibration RMS"
              unit="mm/s"
              points={series(telemetry.data.points, 'vibration_rms')}
              from={telemetry.data.from}
              to={telemetry.data.to}
              stepMs={STEP_MS}
              thresholds={vibrationLimits(profile)}
              below="good"
              fromZero
              emptyText={emptyText}
            />
            <LineChart
              title="Temperature"
              unit="°C"
              points={series(telemetry.data.points, 'temperature_c')}
              from={telemetry.data.from}
              to={telemetry.data.to}
              stepMs={STEP_MS}
              thresholds={temperatureLimits(profile)}
              below="good"
              emptyText={emptyText}
            />
          </div>
        )}
      </section>

      <section className="panel">
        <h2>Tickets</h2>
        {tickets.data ? (
          <TicketTable tickets={tickets.data.tickets} now={now} showDevice={false} />
        ) : (
          <Loading what="tickets" />
        )}
      </section>
    </>
  );
}
