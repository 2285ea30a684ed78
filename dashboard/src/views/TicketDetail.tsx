import { PriorityBadge, StatusBadge } from '../components/badges.js';
import { Loading, LoadProblem } from '../components/Notice.js';
import { formatDateTime, formatRelative, formatSpan, localizeTimes, words } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../session.js';
import type { TicketDetail as Detail, Ticket } from '../types.js';
import { overdue } from './Tickets.js';

/** A history action as a heading: "Opened", "Status", "SLA breach". */
function actionLabel(action: string): string {
  const text = words(action).replace(/^sla\b/, 'SLA');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function Deadline({ ticket, clock, now }: { ticket: Ticket; clock: 'respond' | 'resolve'; now: number }) {
  const due = clock === 'respond' ? ticket.respondDueAt : ticket.resolveDueAt;
  const late = overdue(ticket, clock, now);
  return (
    <span className={late ? 'overdue' : undefined}>
      {formatDateTime(due)}{' '}
      <span className="due-relative">
        {late ? `overdue ${formatSpan(now - Date.parse(due))}` : formatRelative(due, now)}
      </span>
    </span>
  );
}

/** One ticket with its SLA clocks, the conditions it covers and everything that happened to it. */
export function TicketDetail({ id }: { id: string }) {
  const detail = useApi((s) => s.get<Detail>(`/api/tickets/${encodeURIComponent(id)}`), `ticket:${id}`);
  if (!detail.data) return detail.error ? <LoadProblem error={detail.error} /> : <Loading what={id} />;
  const { ticket, history, suggestions } = detail.data;
  const now = detail.updatedAt ?? Date.now();

  return (
    <>
      <nav className="crumbs">
        <a href={href.tickets}>Tickets</a> / <span>{ticket.id}</span>
      </nav>
      <LoadProblem error={detail.error} />
      <header className="page-head">
        <h1>{ticket.id}</h1>
        <PriorityBadge priority={ticket.priority} />
        <StatusBadge status={ticket.status} />
        <span className="page-title">{ticket.title}</span>
      </header>

      <div className="detail-grid">
        <section className="panel">
          <h2>Case</h2>
          <dl className="facts">
            <dt>Device</dt>
            <dd>
              <a href={href.device(ticket.device)}>{ticket.device}</a>{' '}
              <span className="muted">{ticket.model}</span>
            </dd>
            <dt>Kind</dt>
            <dd>
              {ticket.kind} · {words(ticket.category)}
            </dd>
            <dt>Fault code</dt>
            <dd>
              <code>{ticket.faultCode ?? '—'}</code>{' '}
              {ticket.metric && <span className="muted">on {ticket.metric}</span>}
            </dd>
            <dt>Severity</dt>
            <dd>{ticket.severity ?? '—'}</dd>
            <dt>Reported by</dt>
            <dd>{ticket.reportedBy}</dd>
            <dt>Outlet</dt>
            <dd>{ticket.outletId ?? <span className="muted">not assigned</span>}</dd>
            <dt>Technician</dt>
            <dd>{ticket.technician ?? '—'}</dd>
          </dl>
          {ticket.description && <p className="description">{localizeTimes(ticket.description)}</p>}
        </section>
        <section className="panel">
          <h2>Service level</h2>
          <dl className="facts">
            <dt>Opened</dt>
            <dd>{formatDateTime(ticket.openedAt)}</dd>
            <dt>Respond by</dt>
            <dd data-testid="respond-by">
              {ticket.firstResponseAt ? (
                <>responded {formatDateTime(ticket.firstResponseAt)}</>
              ) : (
                <Deadline ticket={ticket} clock="respond" now={now} />
              )}
            </dd>
            <dt>Resolve by</dt>
            <dd data-testid="resolve-by">
              {ticket.resolvedAt ? (
                <>resolved {formatDateTime(ticket.resolvedAt)}</>
              ) : (
                <Deadline ticket={ticket} clock="resolve" now={now} />
              )}
            </dd>
            <dt>Predicted failure</dt>
            <dd>
              {ticket.predictedFailureAt ? (
                <span className="predicted">
                  {formatDateTime(ticket.predictedFailureAt)}{' '}
                  <span className="due-relative">{formatRelative(ticket.predictedFailureAt, now)}</span>
                </span>
              ) : (
                '—'
              )}
            </dd>
            <dt>SLA breaches</dt>
            <dd>
              {ticket.slaBreaches.length === 0
                ? 'none'
                : ticket.slaBreaches.map((b) => `${b.clock} (due ${formatDateTime(b.dueAt)})`).join(', ')}
            </dd>
            <dt>Customer link</dt>
            <dd>
              <code className="wrap">{ticket.statusPath}</code>
            </dd>
          </dl>
        </section>
      </div>

      {ticket.conditions.length > 0 && (
        <section className="panel">
          <h2>Conditions</h2>
          <table className="data">
            <thead>
              <tr>
                <th>Fault</th>
                <th>Metric</th>
                <th>Severity</th>
                <th>State</th>
                <th>Last finding</th>
                <th>Predicted failure</th>
              </tr>
            </thead>
            <tbody>
              {ticket.conditions.map((c) => (
                <tr key={`${c.faultCode}-${c.metric}`}>
                  <td>
                    <code>{c.faultCode}</code>
                  </td>
                  <td>{c.metric}</td>
                  <td className={`severity-${c.severity}`}>{c.severity}</td>
                  <td>{c.state}</td>
                  <td>{formatDateTime(c.at)}</td>
                  <td>{formatDateTime(c.predictedFailureAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <div className="detail-grid">
        <section className="panel">
          <h2>History</h2>
          <ol className="timeline" data-testid="history">
            {history.map((entry) => (
              <li key={`${entry.at}|${entry.action}|${entry.to}|${entry.note}`}>
                <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                <div>
                  <strong>{actionLabel(entry.action)}</strong>
                  {entry.to && (
                    <span className="muted">
                      {' '}
                      {entry.from ? `${words(entry.from)} → ` : ''}
                      {words(entry.to)}
                    </span>
                  )}
                  <span className="actor"> · {entry.actor}</span>
                  {entry.note && <p className="note">{localizeTimes(entry.note)}</p>}
                </div>
              </li>
            ))}
          </ol>
        </section>
        <section className="panel">
          <h2>Fixes that worked before</h2>
          {suggestions.length === 0 ? (
            <p className="muted">No resolved case with this fault code on {ticket.model} yet.</p>
          ) : (
            <table className="data">
              <thead>
                <tr>
                  <th>Resolution</th>
                  <th className="num">Used</th>
                  <th className="num">First-time fix</th>
                </tr>
              </thead>
              <tbody>
                {suggestions.map((s) => (
                  <tr key={s.resolutionCode}>
                    <td>
                      <code>{s.resolutionCode}</code>
                    </td>
                    <td className="num">{s.timesUsed}</td>
                    <td className="num">{Math.round(s.firstTimeFixRate * 100)} %</td>
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
