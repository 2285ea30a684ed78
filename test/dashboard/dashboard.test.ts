/**
 * The dashboard in a real browser (Debian's Chromium) against a real platform: sign-in from the link,
 * fleet counts and device table, device charts with the model's limits, tickets with SLA clocks, and
 * the message on a refused token. Needs the built app (`npm run build`). Set DASHBOARD_SCREENSHOTS to a
 * folder to keep screenshots of the views for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceHealth, FleetHealth } from '../../api/routes/fleet.js';
import type { Reading } from '../../core/types.js';
import { DASHBOARD_DIR } from '../../dashboard/serve.js';
import { ADMIN_TOKEN, startTestPlatform, type TestPlatform } from '../support/platform.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const screenshots = process.env.DASHBOARD_SCREENSHOTS;

/** A day of readings every 5 minutes up to `until`; `vibration(hoursAgo)` shapes the vibration curve. */
function history(device: string, until: number, vibration: (hoursAgo: number) => number): Reading[] {
  const readings: Reading[] = [];
  for (let ts = until - 24 * HOUR; ts <= until; ts += 5 * MINUTE) {
    const hoursAgo = (until - ts) / HOUR;
    readings.push({
      device,
      ts,
      metrics: { vibration_rms: vibration(hoursAgo), temperature_c: 46 + 6 * Math.sin(hoursAgo / 4) },
    });
  }
  return readings;
}

describe('dashboard in Chromium', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let page: Page;
  let base: string;
  let acClient: MqttClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(DASHBOARD_DIR, 'index.html')))
      throw new Error(`the dashboard is not built in ${DASHBOARD_DIR}: run npm run build first`);
    // The platform's clock, set back while one ticket is recorded so that its SLA clock started in the past.
    let clockOffset = 0;
    platform = await startTestPlatform({}, { clock: () => Date.now() + clockOffset });
    base = `http://127.0.0.1:${platform.httpPort}`;
    const now = Date.now();
    const tokens: Record<string, string> = {};
    for (const [id, model, customer] of [
      ['ac-1', 'AC-2000', 'Riverside Mall'],
      ['fr-1', 'FR-300', 'Corner Grocer'],
      ['pu-1', 'PU-55', 'City Water Works'],
      ['wm-1', 'WM-800', 'Laundromat 24'],
    ]) {
      const res = await platform.api<{ token: string }>('POST', '/api/devices', { id, model, customer });
      tokens[id] = res.body.token;
    }
    await platform.telemetry.write([
      // A bearing going: from zone A into zone D over the last hours.
      ...history('ac-1', now, (h) => (h > 6 ? 0.5 : 0.5 + (6 - h) * 0.8)),
      ...history('fr-1', now, () => 0.4),
      ...history('pu-1', now, () => 1.5),
      // Went silent two hours ago.
      ...history('wm-1', now - 2 * HOUR, () => 1.2),
    ]);
    for (const id of ['fr-1', 'pu-1']) await platform.connect(id, tokens[id]);
    acClient = await platform.connect('ac-1', tokens['ac-1']);
    const finding = {
      evidence: { current: 5.3, limit: 4.5, zone: 'D' },
      predictionUncertaintyHours: null,
      state: 'active' as const,
      at: now - 30 * MINUTE,
    };
    // Recorded half an hour ago: the 15-minute P1 respond-by has passed.
    clockOffset = -30 * MINUTE;
    await platform.tickets.handleFinding({
      ...finding,
      device: 'ac-1',
      model: 'AC-2000',
      metric: 'vibration_rms',
      faultCode: 'VIB-ZONE-D',
      category: 'machine',
      severity: 'critical',
      predictedFailureAt: now + 3 * HOUR,
    });
    clockOffset = 0;
    await platform.tickets.handleFinding({
      ...finding,
      device: 'fr-1',
      model: 'FR-300',
      metric: 'temperature_c',
      faultCode: 'SENSOR-STUCK',
      category: 'data_quality',
      severity: 'info',
      evidence: { current: 41, note: 'unchanged for 3 h' },
      predictedFailureAt: null,
    });

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    if (screenshots) mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.dispose();
  });

  it('serves the fleet health the overview is built on', async () => {
    expect((await platform.api('GET', '/api/fleet/health', undefined, null)).status).toBe(401);
    const { status, body } = await platform.api<FleetHealth>('GET', '/api/fleet/health');
    expect(status).toBe(200);
    expect(Object.fromEntries(body.devices.map((d) => [d.id, d.health]))).toEqual({
      'ac-1': 'critical',
      'fr-1': 'watch',
      'pu-1': 'healthy',
      'wm-1': 'offline',
    });
    expect(body.summary.openTickets).toEqual({ P1: 1, P2: 0, P3: 1, total: 2 });
    const one = await platform.api<DeviceHealth>('GET', '/api/fleet/health/ac-1');
    expect(one.body).toEqual(body.devices.find((d) => d.id === 'ac-1'));
    expect((await platform.api('GET', '/api/fleet/health/nobody')).status).toBe(404);
    const openapi = await platform.api<{ paths: Record<string, unknown> }>('GET', '/api/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/api/fleet/health', '/api/fleet/health/{id}']),
    );
  });

  it('signs in from the link and shows the fleet counts and device table', async () => {
    await page.goto(`${base}/dashboard/#token=${ADMIN_TOKEN}`);
    await page.getByTestId('count-critical').waitFor();
    // The token leaves the address bar at once and stays in the tab's session only.
    expect(new URL(page.url()).hash).toBe('#/');
    expect(await page.evaluate("sessionStorage.getItem('forewarn.token')")).toBe(ADMIN_TOKEN);

    const count = (state: string) => page.getByTestId(`count-${state}`).locator('.card-value').textContent();
    expect(await count('critical')).toBe('1');
    expect(await count('warning')).toBe('0');
    expect(await count('watch')).toBe('1');
    expect(await count('offline')).toBe('1');
    expect(await count('healthy')).toBe('1');
    expect(await page.getByTestId('online-count').textContent()).toMatch(/^3\s*\/\s*4$/);
    const byPriority = page.getByTestId('open-tickets').locator('.card-detail span');
    expect(await byPriority.allTextContents()).toEqual(['P1 1', 'P2 0', 'P3 1']);
    expect(await page.getByTestId('sla-overdue').locator('.card-value').textContent()).toBe('1');

    const row = (id: string) => page.locator(`tr[data-device="${id}"]`);
    expect(await row('ac-1').getAttribute('data-health')).toBe('critical');
    expect(await row('ac-1').textContent()).toMatch(/P1 T-\d+ open: VIB-ZONE-D on vibration_rms/);
    expect(await row('fr-1').getAttribute('data-health')).toBe('watch');
    expect(await row('wm-1').textContent()).toMatch(/offline, last heard/);
    expect(await row('pu-1').getAttribute('data-health')).toBe('healthy');
    // The latest reading, with its ISO 10816 zone.
    expect(await row('ac-1').locator('td.num').first().textContent()).toMatch(/^5\.30\s*D$/);
    if (screenshots) await page.screenshot({ path: join(screenshots, 'overview.png'), fullPage: true });

    // Least healthy first by default; a click on a header sorts by it, a second click reverses.
    const order = () =>
      page
        .locator('tbody tr[data-device]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')));
    expect(await order()).toEqual(['ac-1', 'wm-1', 'fr-1', 'pu-1']);
    await page.getByRole('button', { name: /^Device/ }).click();
    expect(await order()).toEqual(['ac-1', 'fr-1', 'pu-1', 'wm-1']);
    await page.getByRole('button', { name: /^Device/ }).click();
    expect(await order()).toEqual(['wm-1', 'pu-1', 'fr-1', 'ac-1']);
    await page.getByRole('searchbox', { name: 'Search devices' }).fill('stuck');
    expect(await order()).toEqual(['fr-1']);
    await page.getByRole('searchbox', { name: 'Search devices' }).fill('');
    await page.getByTestId('count-offline').click();
    expect(await order()).toEqual(['wm-1']);
    await page.getByTestId('count-offline').click();

    // Polling picks up a new ticket without a reload.
    const opened = await platform.api('POST', '/api/tickets', {
      device: 'pu-1',
      title: 'Customer reports a humming noise',
      reportedBy: 'hotline',
      priority: 'P2',
    });
    expect(opened.status).toBe(201);
    await expect.poll(() => count('warning'), { timeout: 8000, interval: 200 }).toBe('1');
    expect(await row('pu-1').getAttribute('data-health')).toBe('warning');
  });

  it('shows a device with its health, charts against its limits and its tickets', async () => {
    await page.locator('tr[data-device="ac-1"] a', { hasText: 'ac-1' }).click();
    const vibration = page.locator('svg[aria-label^="Vibration RMS"]');
    await vibration.waitFor();
    expect(page.url()).toMatch(/#\/devices\/ac-1$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('ac-1');
    expect(await page.getByTestId('health-reasons').textContent()).toMatch(/VIB-ZONE-D/);

    // A day at 5-minute steps, drawn as one line, with the AC-2000's ISO 10816 class I boundaries.
    expect(Number(await vibration.getAttribute('data-points'))).toBeGreaterThanOrEqual(285);
    const path = await vibration.locator('path.series').getAttribute('d');
    expect(path?.match(/L/g)?.length).toBeGreaterThanOrEqual(284);
    const limits = await vibration.locator('.limit text').allTextContents();
    expect(limits).toEqual(['A/B 0.71', 'B/C 1.8', 'C/D 4.5']);
    const temperature = page.locator('svg[aria-label^="Temperature"]');
    expect(Number(await temperature.getAttribute('data-points'))).toBeGreaterThanOrEqual(285);
    expect(await temperature.locator('.limit text').allTextContents()).toEqual(['warn 68']);

    const tickets = page.locator('table.tickets tbody tr');
    expect(await tickets.count()).toBe(1);
    expect(await tickets.first().textContent()).toMatch(/VIB-ZONE-D/);
    if (screenshots) await page.screenshot({ path: join(screenshots, 'device.png'), fullPage: true });
  });

  it('lists open tickets with their SLA clocks and opens a ticket with its history', async () => {
    await page.getByRole('link', { name: 'Tickets', exact: true }).click();
    const rows = page.locator('table.tickets tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    const p1 = page.locator('tr', { has: page.locator('code', { hasText: 'VIB-ZONE-D' }) });
    expect(await p1.locator('.badge.priority-P1').count()).toBe(1);
    // Respond-by passed half an hour after a 15-minute target; resolve-by (4 h) is still ahead.
    const respond = p1.locator('td').nth(5);
    expect(await respond.locator('[data-overdue]').count()).toBe(1);
    expect(await respond.textContent()).toMatch(/overdue 1[5-6] min/);
    expect(await p1.locator('td').nth(6).locator('[data-overdue]').count()).toBe(0);
    expect(await p1.locator('td').nth(7).textContent()).toMatch(/in 3 h/);
    const stuck = page.locator('tr', { has: page.locator('code', { hasText: 'SENSOR-STUCK' }) });
    expect(await stuck.locator('[data-overdue]').count()).toBe(0);
    if (screenshots) await page.screenshot({ path: join(screenshots, 'tickets.png'), fullPage: true });

    await p1.locator('a', { hasText: /^T-\d+$/ }).click();
    await page.getByTestId('history').waitFor();
    expect(await page.getByTestId('respond-by').textContent()).toMatch(/overdue/);
    if (screenshots) await page.screenshot({ path: join(screenshots, 'ticket.png'), fullPage: true });
    expect(await page.getByTestId('history').textContent()).toMatch(
      /opened[\s\S]*system:rules[\s\S]*critical finding VIB-ZONE-D/i,
    );
    expect(pageErrors).toEqual([]);
  });

  it('shows ingest throughput and the refused messages', async () => {
    await acClient.publishAsync('fleet/ac-1/telemetry', '{"ts": "yesterday-ish", "vibration_rms": 0.5}', {
      qos: 1,
    });
    await page.getByRole('link', { name: 'Ingest', exact: true }).click();
    const reject = page.locator('table.rejects tbody tr', { hasText: 'ac-1' });
    await reject.waitFor();
    expect(await reject.textContent()).toMatch(/bad timestamp[\s\S]*yesterday-ish/);
    const stat = (label: string) => page.locator('.card', { hasText: label }).locator('.card-value');
    expect(await stat('Rejects').textContent()).toBe('1');
    expect(await stat('Connected devices').textContent()).toBe('3');
    // The rate needs two scrapes of the counters.
    await expect.poll(() => stat('Readings stored / s').textContent(), { timeout: 5000 }).toBe('0');
    if (screenshots) await page.screenshot({ path: join(screenshots, 'ingest.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('says so when the token is refused, and signs in from the form', async () => {
    const context = await browser.newContext();
    const fresh = await context.newPage();
    try {
      await fresh.goto(`${base}/dashboard/#token=not-the-admin-token`);
      const alert = fresh.getByTestId('auth-error');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/refused the token \(401\): the Bearer token is not valid/);
      if (screenshots) await fresh.screenshot({ path: join(screenshots, 'refused.png') });
      expect(await fresh.evaluate("sessionStorage.getItem('forewarn.token')")).toBeNull();

      await fresh.getByLabel('Admin token').fill(ADMIN_TOKEN);
      await fresh.getByRole('button', { name: 'Sign in' }).click();
      await fresh.getByTestId('count-critical').waitFor();
      expect(await fresh.locator('tbody tr[data-device]').count()).toBe(4);
    } finally {
      await context.close();
    }
  });
});
