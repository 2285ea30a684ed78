/**
 * The rules engine on its own: nanoseconds per reading with every detector running (on devices past warm-up),
 * and bytes of detector state per device and metric with 100,000 devices.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { RulesFigures, RulesJob } from './rules-worker.js';
import { type Benchmark, type Cell, check, type Measurement } from './types.js';

const WORKER = join(import.meta.dirname, 'rules-worker.js');
const DEADLINE_MS = 10 * 60_000;
/** The fleet size the rules targets are stated at. */
const STATED_DEVICES = 100_000;

export const rulesBenchmark: Benchmark = {
  name: 'rules',
  title: 'Rules engine: time per reading, state per device-metric',
  columns: [
    { key: 'devices', label: 'devices' },
    { key: 'cpuNsPerReading', label: 'CPU ns/reading' },
    { key: 'nsPerReading', label: 'wall ns/reading' },
    { key: 'timedDevices', label: 'timed devices' },
    { key: 'timedReadings', label: 'timed readings' },
    { key: 'bytesPerDeviceMetric', label: 'bytes/device-metric' },
    { key: 'bytesPerDevice', label: 'bytes/device' },
    { key: 'findings', label: 'findings' },
  ],

  async run(context): Promise<Measurement> {
    const { rules } = context.scale;
    const job: RulesJob = { ...rules, seed: context.seed, deadlineMs: DEADLINE_MS };
    const child = fork(WORKER, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const worker = context.group.track(child, 'rules worker');
    child.send(job);
    const figures = await new Promise<RulesFigures>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the rules worker did not finish in time')),
        DEADLINE_MS + 60_000,
      );
      child.once('message', (message: { ok: true; figures: RulesFigures } | { ok: false; error: string }) => {
        clearTimeout(timer);
        if (message.ok) resolve(message.figures);
        else reject(new Error(`rules worker: ${message.error}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the rules worker exited (${code}):\n${worker.stderr.slice(-2000)}`));
      });
    });
    await worker.stop();
    const notes = [
      `${figures.timedDevices} of ${figures.devices} devices past a 24 h warm-up, then ${rules.timedReadings} readings each at 10 s, AC-2000 (4 metrics)`,
      'state is the heap and array-buffer growth of a fresh process after garbage collection, engine included',
      'time per reading: fed as ingest feeds it (batches of 5,000); CPU time of the process (judged) and wall time',
    ];
    if (!figures.complete) notes.push('the time bound ended the feeding early');
    return {
      rows: [
        {
          devices: figures.devices,
          cpuNsPerReading: figures.timedCpuNs / figures.timedReadings,
          nsPerReading: figures.timedNs / figures.timedReadings,
          timedDevices: figures.timedDevices,
          timedReadings: figures.timedReadings,
          bytesPerDeviceMetric: figures.stateBytes / (figures.devices * figures.metricsPerDevice),
          bytesPerDevice: figures.stateBytes / figures.devices,
          findings: figures.findings,
        },
      ],
      notes,
      details: { figures },
    };
  },

  targets(rows) {
    const row = rows[0];
    const stated = (count: Cell | undefined) => (count === STATED_DEVICES ? undefined : '100,000 devices');
    return [
      check('CPU ns per reading, all detectors', row?.cpuNsPerReading, '<=', 1000, stated(row?.timedDevices)),
      check('bytes of state per device-metric', row?.bytesPerDeviceMetric, '<=', 1024, stated(row?.devices)),
    ];
  },
};
