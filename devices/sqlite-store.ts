import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DeviceStore, StoredDevice } from './store.js';

interface DeviceRow {
  id: string;
  model: string;
  lat: number | null;
  lon: number | null;
  customer: string | null;
  installed_at: string | null;
  created_at: string;
  last_seen_at: string | null;
  token_hash: string;
}

/** Device registry in `registry.db` (or memory when `dir` is ':memory:'). */
export class SqliteDeviceStore implements DeviceStore {
  #db: Database.Database | undefined;

  constructor(private readonly dir: string) {}

  async open(): Promise<void> {
    if (this.dir !== ':memory:') mkdirSync(this.dir, { recursive: true });
    const db = new Database(this.dir === ':memory:' ? ':memory:' : join(this.dir, 'registry.db'));
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS devices (
        id TEXT PRIMARY KEY, model TEXT NOT NULL, lat REAL, lon REAL, customer TEXT, installed_at TEXT,
        created_at TEXT NOT NULL, last_seen_at TEXT, token_hash TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS admin_tokens (hash TEXT PRIMARY KEY, created_at TEXT NOT NULL);
    `);
    this.#db = db;
  }

  get #conn(): Database.Database {
    if (!this.#db) throw new Error('device store is not open');
    return this.#db;
  }

  async insert(devices: readonly StoredDevice[]): Promise<Set<string>> {
    const insert = this.#conn.prepare(
      `INSERT OR IGNORE INTO devices (id, model, lat, lon, customer, installed_at, created_at, last_seen_at, token_hash)
       VALUES (@id, @model, @lat, @lon, @customer, @installedAt, @createdAt, @lastSeenAt, @tokenHash)`,
    );
    const existing = new Set<string>();
    this.#conn.transaction(() => {
      for (const device of devices) if (insert.run(device).changes === 0) existing.add(device.id);
    })();
    return existing;
  }

  async all(): Promise<StoredDevice[]> {
    const rows = this.#conn.prepare('SELECT * FROM devices ORDER BY id').all() as DeviceRow[];
    return rows.map((row) => ({
      id: row.id,
      model: row.model,
      lat: row.lat,
      lon: row.lon,
      customer: row.customer,
      installedAt: row.installed_at,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      tokenHash: row.token_hash,
    }));
  }

  async remove(id: string): Promise<boolean> {
    return this.#conn.prepare('DELETE FROM devices WHERE id = ?').run(id).changes > 0;
  }

  async setTokenHash(id: string, tokenHash: string): Promise<boolean> {
    return (
      this.#conn.prepare('UPDATE devices SET token_hash = ? WHERE id = ?').run(tokenHash, id).changes > 0
    );
  }

  async recordSeen(seen: ReadonlyMap<string, string>): Promise<void> {
    const update = this.#conn.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?');
    this.#conn.transaction(() => {
      for (const [id, at] of seen) update.run(at, id);
    })();
  }

  async adminTokenHashes(): Promise<string[]> {
    return (this.#conn.prepare('SELECT hash FROM admin_tokens').all() as { hash: string }[]).map(
      (r) => r.hash,
    );
  }

  async addAdminTokenHash(hash: string): Promise<void> {
    this.#conn
      .prepare('INSERT INTO admin_tokens (hash, created_at) VALUES (?, ?)')
      .run(hash, new Date().toISOString());
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }
}
