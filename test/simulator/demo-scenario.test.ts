import { describe, expect, it } from 'vitest';
import { demoScenario } from '../../simulator/demo-scenario.js';
import { FleetRun } from '../../simulator/file-run.js';

describe('demo scenario', () => {
  it.each(['2026-01-15T09:00:00Z', '2026-07-15T21:00:00Z'])(
    'brings every machine fault to failure before the clock catches up (now = %s)',
    (now) => {
      const { options, catchUpMs } = demoScenario(40, 1, 300, Date.parse(now));
      expect(catchUpMs).toBe(10 * 60_000);
      const run = new FleetRun(options);
      for (const _ of run.csv());
      const truth = run.truth();
      const machine = truth.faults.filter((fault) => fault.category === 'machine');
      expect(machine.map((fault) => fault.kind).sort()).toEqual([
        'bearing_wear',
        'fan_failure',
        'fan_failure',
        'imbalance',
        'refrigerant_leak',
      ]);
      const failures = machine.map((fault) => Date.parse(fault.failure as string)).sort((a, b) => a - b);
      expect(failures.every((at) => at <= Date.parse(now))).toBe(true);
      // The first two fail within about three minutes of wall time at 300×.
      expect(failures[1] - options.start).toBeLessThan(300 * 180_000);
      expect(truth.heatWaves).toHaveLength(1);
      expect(truth.faults.filter((fault) => fault.category === 'data_quality')).toHaveLength(2);
    },
  );
});
