import { useRef } from 'react';
import { fetchMetricsText } from '../api.js';
import { Loading, LoadProblem } from '../components/Notice.js';
import { formatDateTime, formatValue, words } from '../format.js';
import { parsePrometheus, type Sample, total } from '../prometheus.js';
import { href } from '../route.js';
import { useApi } from '../session.js';
import type { IngestReject } from '../types.js';

const POLL_MS = 2000;
const REJECTS_SHOWN = 50;

const COUNTERS = {
  messages: 'forewarn_mqtt_messages_received_total',
  accepted: 'forewarn_readings_accepted_total',
  stored: 'forewarn_readings_stored_total',
  duplicates: 'forewarn_readings_duplicate_total',
  rejects: 'forewarn_ingest_rejects_total',
} as const;
type Counter = keyof typeof COUNTERS;

interface Snapshot {
  at: number;
  samples: Sample[];
}

/** Per-second change of a counter between two scrapes; undefined before the second one. */
function ratePerSecond(previous: Snapshot | undefined, current: Snapshot, name: string): number | undefined {
  if (!previous || current.at <= previous.at) return undefined;
  const before = total(previous.samples, name);
  const now = total(current.samples, name);
  if (before === undefined || now === undefined || now < before) return undefined;
  return (now - before) / ((current.at - previous.at) / 1000);
}

/** Throughput and the dead-letter list of ingest. */
export function Ingest() {
  const history = useRef<{ previous?: Snapshot; current?: Snapshot }>({});
  const metrics = useApi(
    async (s) => {
      const snapshot = { at: Date.now(), samples: parsePrometheus(await fetchMetricsText(s.token)) };
      history.current = { previous: history.current.current, current: snapshot };
      return history.current;
    },
    'metrics',
    POLL_MS,
  );
  const rejects = useApi(
    (s) => s.get<{ rejects: IngestReject[] }>(`/api/ingest/rejects?limit=${REJECTS_SHOWN}`),
    'rejects',
    POLL_MS,
  );

  const current = metrics.data?.current;
  const previous = metrics.data?.previous;
  const counter = (name: Counter) => (current ? total(current.samples, COUNTERS[name]) : undefined);
  const rate = (name: Counter) => (current ? ratePerSecond(previous, current, COUNTERS[name]) : undefined);
  const byReason = (current?.samples ?? [])
    .filter((s) => s.name === COUNTERS.rejects && s.value > 0)
    .sort((a, b) => b.value - a.value);
  const gauge = (name: string) => (current ? total(current.samples, name) : undefined);

  return (
    <>
      <LoadProblem error={metrics.error ?? rejects.error} />
      <section className="cards" aria-label="Ingest throughput">
        <Stat
          label="Readings stored / s"
          value={rate('stored')}
          detail={`${formatValue(counter('stored'))} in total`}
        />
        <Stat
          label="Messages / s"
          value={rate('messages')}
          detail={`${formatValue(counter('messages'))} in total`}
        />
        <Stat label="Duplicates" value={counter('duplicates')} detail="redelivered readings ignored" />
        <Stat
          label="Rejects"
          value={counter('rejects')}
          detail={rate('rejects') ? `${formatValue(rate('rejects'))} / s now` : 'refused messages'}
          alarm={(rate('rejects') ?? 0) > 0}
        />
        <Stat label="Connected devices" value={gauge('forewarn_mqtt_connected_devices')} />
        <Stat
          label="Buffered readings"
          value={gauge('forewarn_ingest_buffered_readings')}
          detail={gauge('forewarn_ingest_backpressure') ? 'back-pressure on' : 'no back-pressure'}
          alarm={Boolean(gauge('forewarn_ingest_backpressure'))}
        />
      </section>

      <div className="detail-grid detail-grid-wide">
        <section className="panel">
          <h2>Recent rejects</h2>
          {!rejects.data ? (
            <Loading what="rejects" />
          ) : rejects.data.rejects.length === 0 ? (
            <p className="good-news">Nothing refused since the server started.</p>
          ) : (
            <div className="table-scroll">
              <table className="data rejects">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Device</th>
                    <th>Reason</th>
                    <th>Payload</th>
                  </tr>
                </thead>
                <tbody>
                  {rejects.data.rejects.map((r) => (
                    <tr key={`${r.at}|${r.device}|${r.reason}|${r.excerpt}`}>
                      <td className="nowrap">{formatDateTime(r.at)}</td>
                      <td>
                        <a href={href.device(r.device)}>{r.device}</a>
                      </td>
                      <td>
                        {words(r.reason)}
                        {r.detail && <div className="sub">{r.detail}</div>}
                      </td>
                      <td>
                        <code className="excerpt">{r.excerpt}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <section className="panel">
          <h2>Rejects by reason</h2>
          {!current ? (
            <Loading what="counters" />
          ) : byReason.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <table className="data">
              <tbody>
                {byReason.map((s) => (
                  <tr key={s.labels.reason}>
                    <td>{words(s.labels.reason ?? 'unknown')}</td>
                    <td className="num">{formatValue(s.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}

function Stat(props: { label: string; value: number | undefined; detail?: string; alarm?: boolean }) {
  return (
    <div className={`card ${props.alarm ? 'card-alarm' : ''}`}>
      <div className="card-label">{props.label}</div>
      <div className="card-value">{formatValue(props.value)}</div>
      {props.detail && <div className="card-detail">{props.detail}</div>}
    </div>
  );
}
