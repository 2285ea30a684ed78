import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EventBus } from '../core/bus.js';
import { MODEL_IDS, modelProfile } from '../core/models.js';
import type { Device } from '../core/types.js';
import { DEVICE_ID_PATTERN } from '../core/wire.js';
import type { DeviceStore, StoredDevice } from './store.js';
import { generateToken, hashToken, verifyToken } from './tokens.js';

/** What it takes to register a device; shared by the HTTP API and bulk import. */
export const newDeviceSchema = z
  .object({
    id: z.string().regex(DEVICE_ID_PATTERN, 'must be 1–64 characters of A–Z, a–z, 0–9, ".", "_" or "-"'),
    model: z.string().refine((m) => modelProfile(m) !== undefined, {
      message: `unknown model; known models: ${MODEL_IDS.join(', ')}`,
    }),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    customer: z.string().max(200).optional(),
    installedAt: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  })
  .strict();

export type NewDevice = z.infer<typeof newDeviceSchema>;

export type AddResult = { ok: true; id: string; token: string } | { ok: false; id: string; error: 'exists' };

const fastDigest = (token: string) => createHash('sha256').update(token).digest();

/**
 * The device registry: who may connect, with which model and site. Devices are cached in memory, so
 * authentication and lookups on the hot path never touch the database; last-seen times are written back in batches.
 */
export class DeviceRegistry {
  readonly #devices = new Map<string, StoredDevice>();
  readonly #online = new Set<string>();
  /** SHA-256 of tokens already verified with scrypt, so a reconnect storm does not pay the slow hash again. */
  readonly #verified = new Map<string, Buffer>();
  readonly #unsavedSeen = new Map<string, string>();
  /** The second of each device's latest markSeen, so that messages within a second cost no date formatting. */
  readonly #seenSecond = new WeakMap<StoredDevice, number>();
  readonly #adminHashes: string[] = [];
  readonly #verifiedAdmin = new Set<string>();

  constructor(
    private readonly store: DeviceStore,
    private readonly bus: EventBus,
    private readonly clock: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    for (const device of await this.store.all()) this.#devices.set(device.id, device);
    this.#adminHashes.push(...(await this.store.adminTokenHashes()));
  }

  /** Whether the device is registered, without building its public view (the broker asks on every message). */
  has(id: string): boolean {
    return this.#devices.has(id);
  }

  get(id: string): Device | undefined {
    const stored = this.#devices.get(id);
    return stored && this.#public(stored);
  }

  list(): Device[] {
    return [...this.#devices.values()].map((d) => this.#public(d));
  }

  /** Registers devices that are new; each gets a token, returned only here. A repeated id in one call counts as existing. */
  async add(devices: readonly NewDevice[]): Promise<AddResult[]> {
    const now = new Date(this.clock()).toISOString();
    const firstOfId = new Map<string, number>();
    devices.forEach((d, i) => {
      if (!firstOfId.has(d.id) && !this.#devices.has(d.id)) firstOfId.set(d.id, i);
    });
    const fresh = [...firstOfId.values()].map((i) => devices[i]);
    const tokens = fresh.map(() => generateToken());
    const rows: StoredDevice[] = await Promise.all(
      fresh.map(async (d, i) => ({
        id: d.id,
        model: d.model,
        lat: d.lat ?? null,
        lon: d.lon ?? null,
        customer: d.customer ?? null,
        installedAt: d.installedAt ?? null,
        createdAt: now,
        lastSeenAt: null,
        tokenHash: await hashToken(tokens[i]),
      })),
    );
    const existing = await this.store.insert(rows);
    const created = new Map<string, string>();
    rows.forEach((row, i) => {
      if (existing.has(row.id)) return;
      this.#devices.set(row.id, row);
      created.set(row.id, tokens[i]);
      this.bus.emit('deviceRegistered', this.#public(row));
    });
    return devices.map((d, i): AddResult => {
      const token = created.get(d.id);
      return token !== undefined && firstOfId.get(d.id) === i
        ? { ok: true, id: d.id, token }
        : { ok: false, id: d.id, error: 'exists' };
    });
  }

  async remove(id: string): Promise<boolean> {
    const removed = await this.store.remove(id);
    this.#devices.delete(id);
    this.#verified.delete(id);
    this.#online.delete(id);
    if (removed) this.bus.emit('deviceRemoved', id);
    return removed;
  }

  /** Issues a new token; the old one stops working at once (existing connections are not dropped here). */
  async rotateToken(id: string): Promise<string | undefined> {
    const device = this.#devices.get(id);
    if (!device) return undefined;
    const token = generateToken();
    const tokenHash = await hashToken(token);
    // The database first: if it fails, the old token keeps working everywhere rather than only until a restart.
    await this.store.setTokenHash(id, tokenHash);
    device.tokenHash = tokenHash;
    this.#verified.delete(id);
    this.bus.emit('deviceTokenRotated', id);
    return token;
  }

  async authenticate(id: string, token: string): Promise<boolean> {
    const device = this.#devices.get(id);
    if (!device) return false;
    const digest = fastDigest(token);
    const known = this.#verified.get(id);
    if (known) return timingSafeEqual(known, digest);
    const hashAtStart = device.tokenHash;
    if (!(await verifyToken(token, hashAtStart))) return false;
    // A rotation during the slow hash must win.
    if (this.#devices.get(id)?.tokenHash !== hashAtStart) return false;
    this.#verified.set(id, digest);
    return true;
  }

  /** Bootstraps the admin token: returns a freshly generated one when none exists yet, else undefined. */
  async ensureAdminToken(): Promise<string | undefined> {
    if (this.#adminHashes.length > 0) return undefined;
    const token = generateToken();
    const hash = await hashToken(token);
    await this.store.addAdminTokenHash(hash);
    this.#adminHashes.push(hash);
    return token;
  }

  async isAdminToken(token: string): Promise<boolean> {
    const digest = fastDigest(token).toString('hex');
    if (this.#verifiedAdmin.has(digest)) return true;
    for (const hash of this.#adminHashes) {
      if (await verifyToken(token, hash)) {
        this.#verifiedAdmin.add(digest);
        return true;
      }
    }
    return false;
  }

  /** Notes that a device was heard from; persisted by flushSeen(). Kept to the second: it is asked per message. */
  markSeen(id: string, at: number): void {
    const device = this.#devices.get(id);
    if (!device) return;
    const second = Math.floor(at / 1000);
    if (this.#seenSecond.get(device) === second) return;
    this.#seenSecond.set(device, second);
    const iso = new Date(at).toISOString();
    if (device.lastSeenAt !== null && device.lastSeenAt >= iso) return;
    device.lastSeenAt = iso;
    this.#unsavedSeen.set(id, iso);
  }

  setOnline(id: string, online: boolean, at: number): void {
    if (!this.#devices.has(id) || this.#online.has(id) === online) return;
    if (online) this.#online.add(id);
    else this.#online.delete(id);
    this.markSeen(id, at);
    this.bus.emit('deviceAvailability', { device: id, online, at });
  }

  get onlineCount(): number {
    return this.#online.size;
  }

  async flushSeen(): Promise<void> {
    if (this.#unsavedSeen.size === 0) return;
    const batch = new Map(this.#unsavedSeen);
    this.#unsavedSeen.clear();
    await this.store.recordSeen(batch);
  }

  #public(stored: StoredDevice): Device {
    const { tokenHash: _hidden, ...device } = stored;
    return { ...device, online: this.#online.has(stored.id) };
  }
}
