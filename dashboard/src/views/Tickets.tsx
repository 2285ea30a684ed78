import { useMemo, useState } from 'react';
import { PriorityBadge, StatusBadge } from '../components/badges.js';
import { Loading, LoadProblem } from '../components/Notice.js';
import { compareValues, type Sort, SortHeader } from '../components/SortHeader.js';
import { formatDateTime, formatRelative, formatSpan } from '../format.js';
import { href } from '../route.js';
import { useApi } from '../session.js';
import { ACTIVE_STATUSES, type Priority, type Ticket } from '../types.js';

const LIST_LIMIT = 1000;

type Column =
  | 'id'
  | 'priority'
  | 'faultCode'
  | 'device'
  | 'status'
  | 'respond'
  | 'resolve'
  | 'predicted'
  | 'opened';

const isActive = (ticket: Ticket) => (ACTIVE_STATUSES as readonly string[]).includes(ticket.status);

/** Whether a deadline is missed now: respond-by only counts until someone responded. */
export function overdue(ticket: Ticket, clock: 'respond' | 'resolve', now: number): boolean {
  if (!isActive(ticket)) return false;
  if (clock === 'respond') return ticket.firstResponseAt === null && Date.parse(ticket.respondDueAt) < now;
  return Date.parse(ticket.resolveDueAt) < now;
}

function sortValue(ticket: Ticket, column: Column): string | number | null {
  switch (column) {
    case 'id':
      return Number(ticket.id.replace(/\D/g, ''));
    case 'priority':
      return ticket.priority;
    case 'faultCode':
      return ticket.faultCode;
    case 'device':
      return ticket.device;
    case 'status':
      return ticket.status;
    case 'respond':
      return ticket.firstResponseAt === null ? Date.parse(ticket.respondDueAt) : null;
    case 'resolve':
      return Date.parse(ticket.resolveDueAt);
    case 'predicted':
      return ticket.predictedFailureAt === null ? null : Date.parse(ticket.predictedFailureAt);
    case 'opened':
      return Date.parse(ticket.openedAt);
  }
}

function Due({ ticket, clock, now }: { ticket: Ticket; clock: 'respond' | 'resolve'; now: number }) {
  if (clock === 'respond' && ticket.firstResponseAt !== null)
    return (
      <span className="muted" title={`responded ${formatDateTime(ticket.firstResponseAt)}`}>
        responded
      </span>
    );
  const due = clock === 'respond' ? ticket.respondDueAt : ticket.resolveDueAt;
  const late = overdue(ticket, clock, now);
  return (
    <span
      className={late ? 'overdue' : 'due'}
      title={late ? 'overdue' : undefined}
      data-overdue={late || undefined}
    >
      {formatDateTime(due)}
      <span className="due-relative">
        {late ? `overdue ${formatSpan(now - Date.parse(due))}` : formatRelative(due, now)}
      </span>
    </span>
  );
}

/** Tickets as rows; sortable, most urgent first by default. */
export function TicketTable(props: { tickets: readonly Ticket[]; now: number; showDevice?: boolean }) {
  const { now, showDevice = true } = props;
  const [sort, setSort] = useState<Sort<Column>>({ key: 'priority', ascending: true });
  const rows = useMemo(
    () =>
      [...props.tickets].sort(
        (a, b) =>
          compareValues(sortValue(a, sort.key), sortValue(b, sort.key), sort.ascending) ||
          Date.parse(a.respondDueAt) - Date.parse(b.respondDueAt),
      ),
    [props.tickets, sort],
  );
  if (rows.length === 0) return <p className="empty-table">No tickets.</p>;
  const header = (label: string, column: Column) => (
    <SortHeader label={label} column={column} sort={sort} onSort={setSort} />
  );
  return (
    <div className="table-scroll">
      <table className="data tickets">
        <thead>
          <tr>
            {header('Ticket', 'id')}
            {header('Priority', 'priority')}
            {header('Fault', 'faultCode')}
            {showDevice && header('Device', 'device')}
            {header('Status', 'status')}
            {header('Respond by', 'respond')}
            {header('Resolve by', 'resolve')}
            {header('Predicted failure', 'predicted')}
            {header('Opened', 'opened')}
          </tr>
        </thead>
        <tbody>
          {rows.map((ticket) => (
            <tr key={ticket.id} data-ticket={ticket.id}>
              <td>
                <a className="strong" href={href.ticket(ticket.id)}>
                  {ticket.id}
                </a>
                <div className="sub">{ticket.title}</div>
              </td>
              <td>
                <PriorityBadge priority={ticket.priority} />
              </td>
              <td>
                <code>{ticket.faultCode ?? '—'}</code>
                <div className="sub">{ticket.kind}</div>
              </td>
              {showDevice && (
                <td>
                  <a href={href.device(ticket.device)}>{ticket.device}</a>
                  <div className="sub">{ticket.model}</div>
                </td>
              )}
              <td>
                <StatusBadge status={ticket.status} />
              </td>
              <td>
                <Due ticket={ticket} clock="respond" now={now} />
              </td>
              <td>
                <Due ticket={ticket} clock="resolve" now={now} />
              </td>
              <td>
                {ticket.predictedFailureAt ? (
                  <span className="predicted">
                    {formatDateTime(ticket.predictedFailureAt)}
                    <span className="due-relative">{formatRelative(ticket.predictedFailureAt, now)}</span>
                  </span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td title={formatDateTime(ticket.openedAt)}>{formatRelative(ticket.openedAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Every active ticket, with its SLA clocks. */
export function Tickets() {
  const [scope, setScope] = useState<'active' | 'all'>('active');
  const [priority, setPriority] = useState<Priority | ''>('');
  const [onlyOverdue, setOnlyOverdue] = useState(false);
  const statusFilter = scope === 'active' ? `&status=${ACTIVE_STATUSES.join(',')}` : '';
  const list = useApi(
    (s) => s.get<{ tickets: Ticket[] }>(`/api/tickets?limit=${LIST_LIMIT}${statusFilter}`),
    `tickets:${scope}`,
  );
  const now = list.updatedAt ?? Date.now();
  const tickets = useMemo(
    () =>
      (list.data?.tickets ?? [])
        .filter((t) => !priority || t.priority === priority)
        .filter((t) => !onlyOverdue || overdue(t, 'respond', now) || overdue(t, 'resolve', now)),
    [list.data, priority, onlyOverdue, now],
  );

  return (
    <>
      <LoadProblem error={list.error} />
      <section className="panel">
        <div className="toolbar">
          <h2>{scope === 'active' ? 'Open tickets' : 'All tickets'}</h2>
          <select
            aria-label="Which tickets"
            value={scope}
            onChange={(e) => setScope(e.target.value as 'active' | 'all')}
          >
            <option value="active">Active</option>
            <option value="all">All, newest first</option>
          </select>
          <select
            aria-label="Priority"
            value={priority}
            onChange={(e) => setPriority(e.target.value as Priority | '')}
          >
            <option value="">All priorities</option>
            <option value="P1">P1</option>
            <option value="P2">P2</option>
            <option value="P3">P3</option>
          </select>
          <label className="check">
            <input type="checkbox" checked={onlyOverdue} onChange={(e) => setOnlyOverdue(e.target.checked)} />{' '}
            Overdue only
          </label>
          <span className="muted count">{list.data ? `${tickets.length} tickets` : ''}</span>
        </div>
        {list.data ? <TicketTable tickets={tickets} now={now} /> : <Loading what="tickets" />}
      </section>
    </>
  );
}
