/**
 * The rules engine in the running platform: readings come from the bus once they are stored, findings go to a
 * sink (the ticket service), a cron job checks for silent devices, and the detector state is saved periodically
 * and on stop so a restart continues where it left off.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { Reading, ReadingBatch } from '../core/types.js';
import type { RulesConfig } from './config.js';
import { RulesEngine } from './engine.js';
import type { Finding } from './finding.js';
import { SnapshotFile } from './snapshot-file.js';
import type { DeviceInfo } from './state.js';

export interface LiveRulesDeps {
  bus: EventBus;
  rules: RulesConfig;
  /** Model, region and site of a registered device; undefined for an unknown one. */
  deviceInfo: (id: string) => DeviceInfo | undefined;
  /** Where findings go, one at a time and in order (the ticket service). */
  onFinding: (finding: Finding) => Promise<void>;
  /** Told after each batch is evaluated (for metrics). */
  onEvaluated?: (readings: readonly Reading[]) => void;
  /** Wall clock, epoch ms; tests inject a simulated one. */
  clock?: () => number;
  /** When the offline check runs (node-cron syntax); every minute by default. */
  offlineCheckCron?: string;
  /** Directory for the state snapshot; without it the state lives in memory only. */
  snapshotDir?: string;
  /** How often the snapshot is written while running; on stop it is written anyway. */
  snapshotIntervalMs?: number;
  log?: Logger;
}

export interface LiveRules {
  readonly engine: RulesEngine;
  /** Restores the saved state, subscribes to the bus and starts the timers. */
  start(): Promise<void>;
  /** Unsubscribes, stops the timers, delivers what is pending and saves the state. */
  stop(): Promise<void>;
  /** The offline check the cron job runs, callable directly. */
  checkOffline(): Promise<void>;
  /** Writes the snapshot now (no-op without a snapshot directory). */
  saveSnapshot(): Promise<void>;
  /** Resolves once every finding produced so far has been handed to `onFinding`. */
  settled(): Promise<void>;
}

export const DEFAULT_SNAPSHOT_INTERVAL_MS = 5 * 60_000;

export function createRulesEngine(deps: LiveRulesDeps): LiveRules {
  const clock = deps.clock ?? Date.now;
  const engine = new RulesEngine({ rules: deps.rules, deviceInfo: deps.deviceInfo });
  const snapshots = deps.snapshotDir ? new SnapshotFile(deps.snapshotDir) : null;
  let delivery: Promise<void> = Promise.resolve();
  const unsubscribe: Array<() => void> = [];
  let offlineTask: ScheduledTask | undefined;
  let listeningSince = Number.NEGATIVE_INFINITY;
  let snapshotTimer: NodeJS.Timeout | undefined;

  // Findings are delivered strictly in order; one failing delivery is logged and the next still goes out.
  const deliver = (findings: Finding[]) => {
    for (const finding of findings) {
      delivery = delivery
        .then(() => deps.onFinding(finding))
        .catch((error) => deps.log?.error({ err: error, finding }, 'a finding could not be delivered'));
    }
    return delivery;
  };

  const onBatch = (batch: ReadingBatch) => {
    const findings = engine.processBatch(batch.readings, { at: batch.committedAt, uncertaintyMs: 0 });
    deps.onEvaluated?.(batch.readings);
    if (findings.length > 0) void deliver(findings);
  };

  // A device silent while the platform was down is not offline until it has been silent since the start too.
  const checkOffline = () => deliver(engine.checkOffline(clock(), listeningSince));

  const saveSnapshot = async () => {
    if (!snapshots) return;
    await snapshots.save(engine.snapshot());
  };

  return {
    engine,
    async start() {
      if (snapshots) {
        try {
          const saved = await snapshots.load();
          if (saved) {
            const devices = engine.restore(saved);
            deps.log?.info({ devices }, 'rules state restored');
          }
        } catch (error) {
          deps.log?.warn({ err: error }, 'rules state not restored; devices warm up again');
        }
      }
      listeningSince = clock();
      unsubscribe.push(deps.bus.on('readingsStored', onBatch));
      unsubscribe.push(deps.bus.on('deviceRemoved', (id) => engine.forget(id)));
      offlineTask = cron.schedule(deps.offlineCheckCron ?? '* * * * *', checkOffline, {
        name: 'rules-offline-check',
        noOverlap: true,
      });
      if (snapshots) {
        snapshotTimer = setInterval(() => {
          saveSnapshot().catch((error) => deps.log?.error({ err: error }, 'saving the rules state failed'));
        }, deps.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS);
        snapshotTimer.unref();
      }
    },
    async stop() {
      for (const off of unsubscribe.splice(0)) off();
      await offlineTask?.stop();
      await offlineTask?.destroy();
      offlineTask = undefined;
      if (snapshotTimer) clearInterval(snapshotTimer);
      snapshotTimer = undefined;
      await delivery;
      await saveSnapshot();
    },
    checkOffline,
    saveSnapshot,
    settled: () => delivery,
  };
}
