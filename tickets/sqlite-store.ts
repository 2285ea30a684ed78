/** The embedded ticket store: one SQLite file, `tickets.db`, in the data directory (or `:memory:`). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { PastFix } from './knowledge.js';
import type {
  CreateOutcome,
  DeliveryFilter,
  FindingFilter,
  TicketFilter,
  TicketStore,
  TicketWrite,
  UpdateOutcome,
} from './store.js';
import {
  ACTIVE_STATUSES,
  type HistoryEntry,
  isActive,
  type NewTicket,
  type Outlet,
  type StoredFinding,
  type Ticket,
  type WebhookDelivery,
  type WebhookTarget,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tickets (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  device TEXT NOT NULL,
  model TEXT NOT NULL,
  fault_code TEXT,
  category TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  priority TEXT NOT NULL,
  outlet_id TEXT,
  status_token TEXT NOT NULL UNIQUE,
  opened_at INTEGER NOT NULL,
  follow_up_due INTEGER NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_device ON tickets (device, opened_at);
CREATE INDEX IF NOT EXISTS tickets_opened ON tickets (opened_at);
CREATE INDEX IF NOT EXISTS tickets_model ON tickets (model, status);
-- One row per device and fault code held by an active ticket: the primary key is the dedupe guarantee.
CREATE TABLE IF NOT EXISTS active_faults (
  device TEXT NOT NULL,
  fault_code TEXT NOT NULL,
  ticket_id TEXT NOT NULL,
  PRIMARY KEY (device, fault_code)
);
CREATE INDEX IF NOT EXISTS active_faults_ticket ON active_faults (ticket_id);
CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY,
  ticket_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  from_value TEXT,
  to_value TEXT,
  note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_ticket ON history (ticket_id, seq);
CREATE TABLE IF NOT EXISTS findings (
  key TEXT PRIMARY KEY,
  device TEXT NOT NULL,
  fault_code TEXT NOT NULL,
  state TEXT NOT NULL,
  at INTEGER NOT NULL,
  ticket_id TEXT,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_device ON findings (device, at);
CREATE INDEX IF NOT EXISTS findings_ticket ON findings (ticket_id);
CREATE TABLE IF NOT EXISTS outlets (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_created ON deliveries (created_at);
`;

interface TicketRow {
  id: string;
  version: number;
  body: string;
}

interface HistoryRow {
  at: number;
  actor: string;
  action: HistoryEntry['action'];
  from_value: string | null;
  to_value: string | null;
  note: string;
}

/** Thrown inside a transaction to roll it back with a known outcome. */
class Abort extends Error {
  constructor(
    readonly result:
      | { outcome: 'stale' }
      | { outcome: 'duplicate_finding' }
      | { outcome: 'conflict'; ticketId: string },
  ) {
    super(result.outcome);
  }
}

/** Device and fault codes an active ticket holds; none once it is no longer active. */
function heldFaultCodes(ticket: NewTicket): string[] {
  if (!isActive(ticket.status)) return [];
  const codes = ticket.conditions.map((c) => c.faultCode);
  if (ticket.faultCode !== null) codes.push(ticket.faultCode);
  return [...new Set(codes)];
}

function toRow(ticket: NewTicket) {
  return {
    device: ticket.device,
    model: ticket.model,
    fault_code: ticket.faultCode,
    category: ticket.category,
    kind: ticket.kind,
    status: ticket.status,
    priority: ticket.priority,
    outlet_id: ticket.outletId,
    status_token: ticket.statusToken,
    opened_at: ticket.openedAt,
    follow_up_due: ticket.followUp !== null && ticket.followUp.doneAt === null ? 1 : 0,
  };
}

function fromRow(row: TicketRow): Ticket {
  const stored = JSON.parse(row.body) as NewTicket;
  return { ...stored, id: row.id, version: row.version };
}

export class SqliteTicketStore implements TicketStore {
  readonly kind = 'sqlite';
  /** The directory holding `tickets.db`, or null for an in-memory store. */
  readonly #dir: string | null;
  #db: Database.Database | undefined;

  /** @param location a directory to keep `tickets.db` in, or `:memory:`. */
  constructor(location: string) {
    this.#dir = location === ':memory:' ? null : location;
  }

  /** Prepared statements by SQL text; preparing once matters in replay, which writes per finding. */
  readonly #statements = new Map<string, Database.Statement>();

  #sql(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#conn.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  get #conn(): Database.Database {
    if (!this.#db) throw new Error('the ticket store is not open; call open() first');
    return this.#db;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    if (this.#dir) mkdirSync(this.#dir, { recursive: true });
    const db = new Database(this.#dir ? join(this.#dir, 'tickets.db') : ':memory:');
    db.pragma('journal_mode = WAL');
    // Other processes (a second server, the CLI) may write the same file; wait for them instead of failing.
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    this.#db = db;
  }

  async close(): Promise<void> {
    this.#statements.clear();
    this.#db?.close();
    this.#db = undefined;
  }

  async createTicket(ticket: NewTicket, write: TicketWrite): Promise<CreateOutcome> {
    const run = this.#conn.transaction((): Ticket => {
      const seq = (
        this.#sql('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM tickets').get() as { next: number }
      ).next;
      const id = `T-${seq}`;
      this.#claimFaults(id, ticket);
      this.#sql(
        `INSERT INTO tickets (seq, id, device, model, fault_code, category, kind, status, priority, outlet_id,
           status_token, opened_at, follow_up_due, version, body)
         VALUES (@seq, @id, @device, @model, @fault_code, @category, @kind, @status, @priority, @outlet_id,
           @status_token, @opened_at, @follow_up_due, 1, @body)`,
      ).run({ seq, id, ...toRow(ticket), body: JSON.stringify(ticket) });
      this.#writeExtras(id, write);
      return { ...ticket, id, version: 1 };
    });
    try {
      return { outcome: 'created', ticket: run.immediate() };
    } catch (error) {
      if (!(error instanceof Abort)) throw error;
      if (error.result.outcome !== 'conflict') return { outcome: 'duplicate_finding' };
      const existing = await this.getTicket(error.result.ticketId);
      if (!existing) throw new Error(`active fault held by missing ticket ${error.result.ticketId}`);
      return { outcome: 'conflict', existing };
    }
  }

  async updateTicket(ticket: Ticket, write: TicketWrite): Promise<UpdateOutcome> {
    const { id, version, ...body } = ticket;
    const run = this.#conn.transaction((): Ticket => {
      const updated = this.#sql(
        `UPDATE tickets SET device = @device, model = @model, fault_code = @fault_code, category = @category,
             kind = @kind, status = @status, priority = @priority, outlet_id = @outlet_id,
             status_token = @status_token, opened_at = @opened_at, follow_up_due = @follow_up_due,
             version = version + 1, body = @body
           WHERE id = @id AND version = @version`,
      ).run({ id, version, ...toRow(body), body: JSON.stringify(body) });
      if (updated.changes === 0) throw new Abort({ outcome: 'stale' });
      this.#sql('DELETE FROM active_faults WHERE ticket_id = ?').run(id);
      this.#claimFaults(id, body);
      this.#writeExtras(id, write);
      return { ...ticket, version: version + 1 };
    });
    try {
      return { outcome: 'updated', ticket: run.immediate() };
    } catch (error) {
      if (!(error instanceof Abort)) throw error;
      return error.result.outcome === 'duplicate_finding'
        ? { outcome: 'duplicate_finding' }
        : { outcome: 'stale' };
    }
  }

  #claimFaults(ticketId: string, ticket: NewTicket): void {
    for (const faultCode of heldFaultCodes(ticket)) {
      const holder = this.#sql('SELECT ticket_id FROM active_faults WHERE device = ? AND fault_code = ?').get(
        ticket.device,
        faultCode,
      ) as { ticket_id: string } | undefined;
      if (holder && holder.ticket_id !== ticketId)
        throw new Abort({ outcome: 'conflict', ticketId: holder.ticket_id });
      this.#sql('INSERT OR IGNORE INTO active_faults (device, fault_code, ticket_id) VALUES (?, ?, ?)').run(
        ticket.device,
        faultCode,
        ticketId,
      );
    }
  }

  #writeExtras(ticketId: string, write: TicketWrite): void {
    const insert = this.#sql(
      `INSERT INTO history (ticket_id, at, actor, action, from_value, to_value, note)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const entry of write.history) {
      insert.run(ticketId, entry.at, entry.actor, entry.action, entry.from, entry.to, entry.note);
    }
    if (write.finding && !this.#insertFinding({ ...write.finding, ticketId })) {
      throw new Abort({ outcome: 'duplicate_finding' });
    }
  }

  #insertFinding(stored: StoredFinding): boolean {
    const { finding } = stored;
    const result = this.#sql(
      `INSERT OR IGNORE INTO findings (key, device, fault_code, state, at, ticket_id, body)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      stored.key,
      finding.device,
      finding.faultCode,
      finding.state,
      finding.at,
      stored.ticketId,
      JSON.stringify(finding),
    );
    return result.changes === 1;
  }

  async getTicket(id: string): Promise<Ticket | null> {
    const row = this.#sql('SELECT id, version, body FROM tickets WHERE id = ?').get(id) as
      | TicketRow
      | undefined;
    return row ? fromRow(row) : null;
  }

  async getTicketByStatusToken(token: string): Promise<Ticket | null> {
    const row = this.#sql('SELECT id, version, body FROM tickets WHERE status_token = ?').get(token) as
      | TicketRow
      | undefined;
    return row ? fromRow(row) : null;
  }

  async findActiveTicket(device: string, faultCode: string): Promise<Ticket | null> {
    const row = this.#sql(
      `SELECT t.id, t.version, t.body FROM active_faults f JOIN tickets t ON t.id = f.ticket_id
         WHERE f.device = ? AND f.fault_code = ?`,
    ).get(device, faultCode) as TicketRow | undefined;
    return row ? fromRow(row) : null;
  }

  async listTickets(filter: TicketFilter): Promise<Ticket[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const inList = (column: string, values: readonly string[] | undefined) => {
      if (!values || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    const equals = (column: string, value: string | number | undefined, op = '=') => {
      if (value === undefined) return;
      where.push(`${column} ${op} ?`);
      params.push(value);
    };
    inList('status', filter.status);
    inList('priority', filter.priority);
    equals('device', filter.device);
    equals('category', filter.category);
    equals('kind', filter.kind);
    equals('outlet_id', filter.outletId);
    equals('opened_at', filter.openedFrom, '>=');
    equals('opened_at', filter.openedTo, '<');
    if (filter.followUpDue !== undefined) equals('follow_up_due', filter.followUpDue ? 1 : 0);
    const sql = `SELECT id, version, body FROM tickets ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY opened_at DESC, seq DESC LIMIT ? OFFSET ?`;
    params.push(filter.limit ?? -1, filter.offset ?? 0);
    return (this.#sql(sql).all(...params) as TicketRow[]).map(fromRow);
  }

  async history(ticketId: string): Promise<HistoryEntry[]> {
    const rows = this.#sql(
      'SELECT at, actor, action, from_value, to_value, note FROM history WHERE ticket_id = ? ORDER BY seq',
    ).all(ticketId) as HistoryRow[];
    return rows.map((row) => ({
      at: row.at,
      actor: row.actor,
      action: row.action,
      from: row.from_value,
      to: row.to_value,
      note: row.note,
    }));
  }

  async recordFinding(finding: StoredFinding): Promise<boolean> {
    return this.#insertFinding(finding);
  }

  async listFindings(filter: FindingFilter): Promise<StoredFinding[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    for (const [column, value] of [
      ['device', filter.device],
      ['state', filter.state],
      ['fault_code', filter.faultCode],
      ['ticket_id', filter.ticketId],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = this.#sql(
      `SELECT key, ticket_id, body FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY at DESC, rowid DESC LIMIT ?`,
    ).all(...params, filter.limit) as { key: string; ticket_id: string | null; body: string }[];
    return rows.map((row) => ({ key: row.key, ticketId: row.ticket_id, finding: JSON.parse(row.body) }));
  }

  async pastFixes(model: string, faultCode: string): Promise<PastFix[]> {
    const rows = this.#sql(
      `SELECT id, version, body FROM tickets WHERE model = ? AND status IN ('resolved', 'closed')`,
    ).all(model) as TicketRow[];
    return rows
      .map(fromRow)
      .filter((t) => t.resolution !== null && t.resolvedAt !== null)
      .filter((t) => t.faultCode === faultCode || t.resolution?.faultCode === faultCode)
      .map((t) => ({ ticketId: t.id, resolvedAt: t.resolvedAt as number, resolution: t.resolution! }));
  }

  async saveOutlet(outlet: Outlet): Promise<void> {
    this.#sql('INSERT OR REPLACE INTO outlets (id, body) VALUES (?, ?)').run(
      outlet.id,
      JSON.stringify(outlet),
    );
  }

  async getOutlet(id: string): Promise<Outlet | null> {
    const row = this.#sql('SELECT body FROM outlets WHERE id = ?').get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Outlet) : null;
  }

  async listOutlets(): Promise<Outlet[]> {
    const rows = this.#sql('SELECT body FROM outlets ORDER BY id').all() as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as Outlet);
  }

  async deleteOutlet(id: string): Promise<boolean> {
    return this.#sql('DELETE FROM outlets WHERE id = ?').run(id).changes === 1;
  }

  async outletLoad(): Promise<Map<string, number>> {
    const rows = this.#sql(
      `SELECT outlet_id, COUNT(*) AS n FROM tickets
         WHERE outlet_id IS NOT NULL AND status IN (${ACTIVE_STATUSES.map(() => '?').join(', ')})
         GROUP BY outlet_id`,
    ).all(...ACTIVE_STATUSES) as { outlet_id: string; n: number }[];
    return new Map(rows.map((row) => [row.outlet_id, row.n]));
  }

  async saveWebhook(target: WebhookTarget): Promise<void> {
    this.#sql('INSERT OR REPLACE INTO webhooks (id, created_at, body) VALUES (?, ?, ?)').run(
      target.id,
      target.createdAt,
      JSON.stringify(target),
    );
  }

  async listWebhooks(): Promise<WebhookTarget[]> {
    const rows = this.#sql('SELECT body FROM webhooks ORDER BY created_at, id').all() as {
      body: string;
    }[];
    return rows.map((row) => JSON.parse(row.body) as WebhookTarget);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.#sql('DELETE FROM webhooks WHERE id = ?').run(id).changes === 1;
  }

  async saveDelivery(delivery: WebhookDelivery): Promise<void> {
    this.#sql(
      'INSERT OR REPLACE INTO deliveries (id, webhook_id, state, created_at, body) VALUES (?, ?, ?, ?, ?)',
    ).run(delivery.id, delivery.webhookId, delivery.state, delivery.createdAt, JSON.stringify(delivery));
  }

  async listDeliveries(filter: DeliveryFilter): Promise<WebhookDelivery[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.webhookId !== undefined) {
      where.push('webhook_id = ?');
      params.push(filter.webhookId);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      params.push(filter.state);
    }
    const rows = this.#sql(
      `SELECT body FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(...params, filter.limit) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as WebhookDelivery);
  }
}
