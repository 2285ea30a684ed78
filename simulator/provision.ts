/**
 * Registers simulated devices through the HTTP API, so a fresh platform needs no set-up: a new device is
 * created (201 with its token); one that exists already (409) gets a new token.
 */
import { z } from 'zod';
import type { PlannedDevice } from './plan.js';

/** What provisioning needs of an HTTP API client authenticated as an admin (cli/api-client.ts is one). */
export interface AdminApi {
  readonly baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface ProvisionOptions {
  /** Requests in flight at once. */
  concurrency?: number;
  /** Customer recorded on new devices. */
  customer?: string;
}

const tokenAnswer = z.object({ id: z.string(), token: z.string().min(1) });
const errorAnswer = z.object({ error: z.string() });

/** Returns each device's MQTT token by device id. */
export async function provisionDevices(
  devices: readonly PlannedDevice[],
  api: AdminApi,
  options: ProvisionOptions = {},
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const device = devices[next++];
      tokens.set(device.id, await provisionOne(api, device, options.customer));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return tokens;
}

async function provisionOne(
  api: AdminApi,
  device: PlannedDevice,
  customer: string | undefined,
): Promise<string> {
  const { id, model, lat, lon } = device;
  const created = await api.request<unknown>('POST', '/api/devices', { id, model, lat, lon, customer });
  if (created.status === 201) return tokenOf(created.body, id);
  if (created.status !== 409) throw refusal(created, `registering device ${id}`);
  const rotated = await api.request<unknown>('POST', `/api/devices/${encodeURIComponent(id)}/token`, {});
  if (rotated.status === 200) return tokenOf(rotated.body, id);
  throw refusal(rotated, `renewing the token of device ${id}`);
}

function tokenOf(body: unknown, id: string): string {
  const parsed = tokenAnswer.safeParse(body);
  if (!parsed.success) throw new Error(`the API answered without a token for device ${id}`);
  return parsed.data.token;
}

function refusal(answer: { status: number; body: unknown }, what: string): Error {
  if (answer.status === 401 || answer.status === 403) {
    return new Error(
      `${what}: the API refused the admin token (HTTP ${answer.status}); pass a valid one with --token`,
    );
  }
  const message =
    errorAnswer.safeParse(answer.body).data?.error ?? JSON.stringify(answer.body ?? '').slice(0, 200);
  return new Error(`${what}: HTTP ${answer.status} ${message}`);
}
