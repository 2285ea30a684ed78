import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../core/bus.js';
import type { Reading } from '../../core/types.js';
import { defaultRulesConfig } from '../../rules/config.js';
import type { Finding } from '../../rules/finding.js';
import { createRulesEngine, type LiveRules } from '../../rules/live.js';
import { SNAPSHOT_FILE_NAME } from '../../rules/snapshot-file.js';
import { DAY, HOUR, MINUTE, STEP_AT, stepReadings, T0 } from './synthetic.js';

const DEVICES = { p1: { model: 'PU-55', region: 'south' } };
const stepAt = STEP_AT;
const readings = stepReadings();

/** Publishes readings as ingest does: each stored and committed as it arrives. */
function publish(bus: EventBus, batch: readonly Reading[]): void {
  for (const reading of batch) bus.emit('readingsStored', { readings: [reading], committedAt: reading.ts });
}

describe('the rules engine in the platform', () => {
  let live: LiveRules | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await live?.stop();
    live = undefined;
    vi.useRealTimers();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function start(
    bus: EventBus,
    findings: Finding[],
    extra: Partial<Parameters<typeof createRulesEngine>[0]> = {},
  ) {
    live = createRulesEngine({
      bus,
      rules: defaultRulesConfig(),
      deviceInfo: (id) => DEVICES[id as keyof typeof DEVICES],
      onFinding: async (finding) => {
        findings.push(finding);
      },
      ...extra,
    });
    return live;
  }

  it('takes stored readings from the bus and hands findings to the sink in order', async () => {
    const bus = new EventBus((_, error) => {
      throw error;
    });
    const findings: Finding[] = [];
    await start(bus, findings).start();
    publish(bus, readings);
    await live?.settled();
    expect(findings[0]?.faultCode).toBe('VIB-STEP');
    expect(findings[0].at - stepAt).toBeLessThan(2 * HOUR);
    expect(findings.map((f) => f.at)).toEqual([...findings.map((f) => f.at)].sort((a, b) => a - b));
  });

  it('keeps delivering after the sink fails once', async () => {
    const bus = new EventBus(() => undefined);
    const delivered: Finding[] = [];
    const error = vi.fn();
    let calls = 0;
    live = createRulesEngine({
      bus,
      rules: defaultRulesConfig(),
      deviceInfo: (id) => DEVICES[id as keyof typeof DEVICES],
      onFinding: async (finding) => {
        calls++;
        if (calls === 1) throw new Error('ticket store down');
        delivered.push(finding);
      },
      log: { error, info: vi.fn(), warn: vi.fn() } as never,
    });
    await live.start();
    // A stuck sensor: one finding when it sticks, one when it recovers.
    const stuck = readings
      .slice(0, 400)
      .map((r, i) => (i >= 100 && i < 300 ? { ...r, metrics: { ...r.metrics, vibration_rms: 1.234 } } : r));
    publish(bus, stuck);
    await live.settled();
    expect(error).toHaveBeenCalledTimes(1);
    expect(delivered.map((f) => [f.faultCode, f.state])).toEqual([['SENSOR-STUCK', 'cleared']]);
  });

  it('runs the offline check on its cron schedule, with the injected clock', async () => {
    vi.useFakeTimers({ now: T0 });
    const bus = new EventBus(() => undefined);
    const findings: Finding[] = [];
    await start(bus, findings, { clock: () => Date.now() }).start();
    publish(bus, readings.slice(0, 30));
    const lastHeard = readings[29].ts;
    vi.setSystemTime(lastHeard);
    await vi.advanceTimersByTimeAsync(59 * MINUTE);
    expect(findings).toEqual([]);
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    await live?.settled();
    expect(findings.map((f) => [f.faultCode, f.state])).toEqual([['OFFLINE', 'active']]);
    expect(findings[0].at - lastHeard).toBeGreaterThanOrEqual(60 * MINUTE);
    expect(findings[0].at - lastHeard).toBeLessThanOrEqual(62 * MINUTE);
  });

  it('saves its state on stop and continues from it after a restart, without a second warm-up', async () => {
    dir = mkdtempSync(join(tmpdir(), 'forewarn-rules-state-'));
    const cut = readings.findIndex((r) => r.ts >= T0 + 2.5 * DAY);
    const first = new EventBus(() => undefined);
    const before: Finding[] = [];
    await start(first, before, { snapshotDir: dir }).start();
    publish(first, readings.slice(0, cut));
    await live?.stop();
    live = undefined;
    expect(existsSync(join(dir, SNAPSHOT_FILE_NAME))).toBe(true);

    const second = new EventBus(() => undefined);
    const after: Finding[] = [];
    const restarted = start(second, after, { snapshotDir: dir });
    await restarted.start();
    expect(restarted.engine.inspect('p1')?.metrics.vibration_rms.warm).toBe(1);
    publish(second, readings.slice(cut));
    await restarted.settled();
    expect(before).toEqual([]);
    expect(after[0]?.faultCode).toBe('VIB-STEP');
    expect(after[0].at - stepAt).toBeLessThan(2 * HOUR);
  });

  it('after a restart counts silence only from the start (the platform was down, not the devices)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'forewarn-rules-state-'));
    vi.useFakeTimers({ now: T0 });
    const first = new EventBus(() => undefined);
    const findings: Finding[] = [];
    await start(first, findings, { snapshotDir: dir, clock: () => Date.now() }).start();
    publish(first, readings.slice(0, 30));
    await live?.stop();
    live = undefined;

    const restartedAt = readings[29].ts + 3 * HOUR;
    vi.setSystemTime(restartedAt);
    const restarted = start(new EventBus(() => undefined), findings, {
      snapshotDir: dir,
      clock: () => Date.now(),
    });
    await restarted.start();
    await vi.advanceTimersByTimeAsync(58 * MINUTE);
    expect(findings).toEqual([]);
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    await restarted.settled();
    expect(findings.map((f) => [f.faultCode, f.state])).toEqual([['OFFLINE', 'active']]);
    expect(findings[0].at - restartedAt).toBeGreaterThanOrEqual(60 * MINUTE);
  });

  it('forgets a removed device', async () => {
    const bus = new EventBus(() => undefined);
    await start(bus, []).start();
    publish(bus, readings.slice(0, 10));
    expect(live?.engine.inspect('p1')).toBeDefined();
    bus.emit('deviceRemoved', 'p1');
    expect(live?.engine.inspect('p1')).toBeUndefined();
  });
});
