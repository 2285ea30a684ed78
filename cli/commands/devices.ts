import { readFileSync } from 'node:fs';
import { csvCell, splitCsvLine } from '../../core/csv.js';
import type { Device } from '../../core/types.js';
import { ApiClient } from '../api-client.js';
import { parseFlags } from '../flags.js';

export const summary = 'manage devices on a running server: add, list, remove, rotate, import';

const USAGE = `usage:
  forewarn devices add ID --model MODEL [--lat N --lon N --customer TEXT --installed-at ISO]
  forewarn devices list [--json]
  forewarn devices remove ID
  forewarn devices rotate ID              issue a new MQTT token (the old one stops working)
  forewarn devices import FILE.csv        bulk provisioning; prints id,token per created device (CSV on stdout)
                                          and one line per failed row on stderr

  CSV columns (header required): id,model[,lat,lon,customer,installedAt]

connection:
  --api URL      API base URL (FOREWARN_API_URL, default http://FOREWARN_HOST:FOREWARN_HTTP_PORT)
  --token TOKEN  admin token (FOREWARN_ADMIN_TOKEN)`;

type ErrorBody = { error: string };

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    api: { type: 'string' },
    token: { type: 'string' },
    model: { type: 'string' },
    lat: { type: 'string' },
    lon: { type: 'string' },
    customer: { type: 'string' },
    'installed-at': { type: 'string' },
    json: { type: 'boolean' },
  });
  const [action, target] = positionals;
  if (values.help || !action) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const api = ApiClient.fromEnvironment({
    api: values.api as string | undefined,
    token: values.token as string | undefined,
  });
  const fail = (status: number, body: unknown) => {
    console.error(`forewarn devices ${action}: ${(body as ErrorBody)?.error ?? `HTTP ${status}`}`);
    return 1;
  };

  switch (action) {
    case 'add': {
      if (!target) return usageError('add needs a device id');
      const body = {
        id: target,
        model: values.model,
        lat: values.lat === undefined ? undefined : Number(values.lat),
        lon: values.lon === undefined ? undefined : Number(values.lon),
        customer: values.customer,
        installedAt: values['installed-at'],
      };
      const res = await api.request<{ id: string; token: string }>('POST', '/api/devices', body);
      if (res.status !== 201) return fail(res.status, res.body);
      console.log(`device ${res.body.id} registered; its MQTT password (shown once): ${res.body.token}`);
      return 0;
    }
    case 'list': {
      const res = await api.request<{ devices: Device[] }>('GET', '/api/devices');
      if (res.status !== 200) return fail(res.status, res.body);
      if (values.json) console.log(JSON.stringify(res.body.devices, null, 2));
      else {
        console.log(['id', 'model', 'online', 'last seen', 'customer'].join('\t'));
        for (const d of res.body.devices) {
          console.log(
            [d.id, d.model, d.online ? 'yes' : 'no', d.lastSeenAt ?? '-', d.customer ?? ''].join('\t'),
          );
        }
      }
      return 0;
    }
    case 'remove': {
      if (!target) return usageError('remove needs a device id');
      const res = await api.request('DELETE', `/api/devices/${encodeURIComponent(target)}`);
      if (res.status !== 204) return fail(res.status, res.body);
      console.log(`device ${target} removed`);
      return 0;
    }
    case 'rotate': {
      if (!target) return usageError('rotate needs a device id');
      const res = await api.request<{ token: string }>(
        'POST',
        `/api/devices/${encodeURIComponent(target)}/token`,
      );
      if (res.status !== 200) return fail(res.status, res.body);
      console.log(`new MQTT password for ${target} (shown once): ${res.body.token}`);
      return 0;
    }
    case 'import':
      return importCsv(api, target, fail);
    default:
      return usageError(`unknown action '${action}'`);
  }
}

function usageError(message: string): number {
  console.error(`forewarn devices: ${message}\n\n${USAGE}`);
  return 2;
}

/** Rows → API import; tokens to stdout as CSV, problems to stderr with their line numbers. */
async function importCsv(api: ApiClient, file: string | undefined, fail: (s: number, b: unknown) => number) {
  if (!file) return usageError('import needs a CSV file');
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  for (const required of ['id', 'model']) {
    if (!header.includes(required)) return usageError(`${file}: the header must name a '${required}' column`);
  }
  const numeric = new Set(['lat', 'lon']);
  const rows: Array<{ line: number; device: Record<string, unknown> }> = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = splitCsvLine(line);
    const device: Record<string, unknown> = {};
    header.forEach((column, c) => {
      const cell = cells[c]?.trim() ?? '';
      const key = column === 'installed_at' ? 'installedAt' : column;
      if (cell !== '') device[key] = numeric.has(key) ? Number(cell) : cell;
    });
    rows.push({ line: i + 2, device });
  });
  const res = await api.request<{
    created: number;
    failed: number;
    results: Array<{ row: number; id?: string; token?: string; error?: string }>;
  }>(
    'POST',
    '/api/devices/import',
    rows.map((r) => r.device),
  );
  if (res.status !== 200 && res.status !== 201) return fail(res.status, res.body);
  console.log('id,token');
  for (const result of res.body.results) {
    if (result.token) console.log(`${csvCell(result.id ?? '')},${result.token}`);
    else console.error(`line ${rows[result.row].line}: ${result.error}`);
  }
  console.error(`${res.body.created} devices created, ${res.body.failed} rows failed`);
  return res.body.failed > 0 ? 1 : 0;
}
