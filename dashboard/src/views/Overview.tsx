import { useMemo, useState } from 'react';
import { ISO_10816_ZONES, modelProfile, vibrationZone } from '../../../core/models.js';
import { HealthBadge, OnlineDot } from '../components/badges.js';
import { Loading, LoadProblem } from '../components/Notice.js';
import { compareValues, type Sort, SortHeader } from '../components/SortHeader.js';
import { formatDateTime, formatFixed, formatRelative, latestOf, localizeTimes } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../session.js';
import { type DeviceHealth, type FleetHealth, HEALTH_STATES, type HealthState } from '../types.js';

/** More rows than this make the page slow to scroll and nobody reads them: filter instead. */
const MAX_ROWS = 500;

type Column = 'id' | 'model' | 'customer' | 'health' | 'online' | 'lastSeen' | 'vibration' | 'temperature';

const HEALTH_LABEL: Record<HealthState, string> = {
  healthy: 'Healthy',
  watch: 'Watch',
  warning: 'Warning',
  critical: 'Critical',
  offline: 'Offline',
};

/** When the device last connected or reported, whichever is later (readings may arrive by import too). */
const lastHeard = (device: DeviceHealth) => latestOf(device.lastSeenAt, device.latest?.ts);

function sortValue(device: DeviceHealth, column: Column): string | number | null {
  switch (column) {
    case 'id':
      return device.id;
    case 'model':
      return device.model;
    case 'customer':
      return device.customer;
    case 'health':
      return device.score;
    case 'online':
      return device.online ? 1 : 0;
    case 'lastSeen': {
      const heard = lastHeard(device);
      return heard === null ? null : Date.parse(heard);
    }
    case 'vibration':
      return device.latest?.metrics.vibration_rms ?? null;
    case 'temperature':
      return device.latest?.metrics.temperature_c ?? null;
  }
}

/** The fleet at a glance: counts by health, tickets and SLA, then every device. */
export function Overview() {
  const fleet = useApi((s) => s.get<FleetHealth>('/api/fleet/health'), 'fleet');
  const [query, setQuery] = useState('');
  const [health, setHealth] = useState<HealthState | ''>('');
  const [model, setModel] = useState('');
  const [sort, setSort] = useState<Sort<Column>>({ key: 'health', ascending: true });

  const devices = fleet.data?.devices;
  const models = useMemo(() => [...new Set(devices?.map((d) => d.model))].sort(), [devices]);
  const rows = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (devices ?? [])
      .filter((d) => !health || d.health === health)
      .filter((d) => !model || d.model === model)
      .filter(
        (d) =>
          !needle ||
          [d.id, d.model, d.customer ?? '', ...d.reasons].some((text) => text.toLowerCase().includes(needle)),
      )
      .sort(
        (a, b) =>
          compareValues(sortValue(a, sort.key), sortValue(b, sort.key), sort.ascending) ||
          a.id.localeCompare(b.id),
      );
  }, [devices, query, health, model, sort]);

  if (!fleet.data) return fleet.error ? <LoadProblem error={fleet.error} /> : <Loading what="the fleet" />;
  const { summary } = fleet.data;
  const now = Date.parse(fleet.data.generatedAt);

  return (
    <>
      <LoadProblem error={fleet.error} />
      <section className="cards" aria-label="Fleet summary">
        <div className="card card-total">
          <div className="card-label">Devices online</div>
          <div className="card-value" data-testid="online-count">
            {summary.online}
            <span className="card-of"> / {summary.devices}</span>
          </div>
        </div>
        {HEALTH_STATES.map((state) => (
          <button
            type="button"
            key={state}
            className={`card card-health health-${state} ${health === state ? 'card-selected' : ''}`}
            aria-pressed={health === state}
            data-testid={`count-${state}`}
            onClick={() => setHealth(health === state ? '' : state)}
            title={`Show only ${state} devices`}
          >
            <div className="card-label">{HEALTH_LABEL[state]}</div>
            <div className="card-value">{summary.health[state]}</div>
          </button>
        ))}
        <a className="card" href={href.tickets} data-testid="open-tickets">
          <div className="card-label">Open tickets</div>
          <div className="card-value">{summary.openTickets.total}</div>
          <div className="card-detail">
            <span className="priority-text-P1">P1 {summary.openTickets.P1}</span>
            <span className="priority-text-P2">P2 {summary.openTickets.P2}</span>
            <span className="priority-text-P3">P3 {summary.openTickets.P3}</span>
          </div>
        </a>
        <a
          className={`card ${summary.slaOverdue > 0 ? 'card-alarm' : ''}`}
          href={href.tickets}
          data-testid="sla-overdue"
        >
          <div className="card-label">SLA overdue</div>
          <div className="card-value">{summary.slaOverdue}</div>
          <div className="card-detail">active tickets past a due time</div>
        </a>
      </section>

      <section className="panel">
        <div className="toolbar">
          <h2>Devices</h2>
          <input
            type="search"
            placeholder="Search id, customer, reason…"
            aria-label="Search devices"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <select
            aria-label="Health state"
            value={health}
            onChange={(e) => setHealth(e.target.value as HealthState | '')}
          >
            <option value="">All states</option>
            {HEALTH_STATES.map((state) => (
              <option key={state} value={state}>
                {HEALTH_LABEL[state]}
              </option>
            ))}
          </select>
          <select aria-label="Model" value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">All models</option>
            {models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
          <span className="muted count">
            {rows.length === summary.devices
              ? `${rows.length} devices`
              : `${rows.length} of ${summary.devices}`}
          </span>
        </div>
        <div className="table-scroll">
          <table className="data devices">
            <thead>
              <tr>
                <SortHeader label="Device" column="id" sort={sort} onSort={setSort} />
                <SortHeader label="Model" column="model" sort={sort} onSort={setSort} />
                <SortHeader label="Customer" column="customer" sort={sort} onSort={setSort} />
                <SortHeader label="Health" column="health" sort={sort} onSort={setSort} />
                <SortHeader label="Link" column="online" sort={sort} onSort={setSort} />
                <SortHeader label="Last seen" column="lastSeen" sort={sort} onSort={setSort} />
                <SortHeader
                  label="Vibration mm/s"
                  column="vibration"
                  sort={sort}
                  onSort={setSort}
                  className="num"
                />
                <SortHeader
                  label="Temp. °C"
                  column="temperature"
                  sort={sort}
                  onSort={setSort}
                  className="num"
                />
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, MAX_ROWS).map((device) => (
                <DeviceRow key={device.id} device={device} now={now} />
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="empty-table">No device matches the filter.</p>}
          {rows.length > MAX_ROWS && (
            <p className="empty-table">
              Showing the first {MAX_ROWS} of {rows.length}; narrow the filter to see the rest.
            </p>
          )}
        </div>
      </section>
    </>
  );
}

function DeviceRow({ device, now }: { device: DeviceHealth; now: number }) {
  const profile = modelProfile(device.model);
  const vibration = device.latest?.metrics.vibration_rms;
  const temperature = device.latest?.metrics.temperature_c;
  const zone =
    profile && vibration !== undefined ? vibrationZone(profile.vibrationClass, vibration) : undefined;
  const hot =
    profile && temperature !== undefined
      ? temperature >= profile.temperature.criticalC
        ? 'critical'
        : temperature >= profile.temperature.warningC
          ? 'warning'
          : ''
      : '';
  return (
    <tr data-device={device.id} data-health={device.health}>
      <td>
        <a href={href.device(device.id)} className="strong">
          {device.id}
        </a>
      </td>
      <td title={profile?.name}>{device.model}</td>
      <td>{device.customer ?? <span className="muted">—</span>}</td>
      <td className="health-cell">
        <HealthBadge state={device.health} />
        {device.reasons.length > 0 && (
          <ul className="reasons">
            {device.reasons.map((reason) => (
              <li key={reason}>{localizeTimes(reason)}</li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <OnlineDot online={device.online} />
      </td>
      <td title={formatDateTime(lastHeard(device))}>{formatRelative(lastHeard(device), now)}</td>
      <td
        className={`num ${zone ? `zone-${zone}` : ''}`}
        title={
          zone && profile
            ? `ISO 10816 class ${profile.vibrationClass}, zone ${zone} (C from ${ISO_10816_ZONES[profile.vibrationClass].bc} mm/s)`
            : undefined
        }
      >
        {formatFixed(vibration, 2)}
        {zone && <span className="zone-letter">{zone}</span>}
      </td>
      <td className={`num ${hot ? `temp-${hot}` : ''}`}>{formatFixed(temperature, 1)}</td>
    </tr>
  );
}
