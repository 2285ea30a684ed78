/** The cron job that runs the SLA check: marks breaches, escalates and emits events. */
import cron from 'node-cron';
import type { TicketService } from './service.js';

/** Every minute. */
export const DEFAULT_SLA_CRON = '* * * * *';

export interface SlaMonitorOptions {
  service: Pick<TicketService, 'checkSla'>;
  /** node-cron expression (5 fields, or 6 with seconds); every minute by default. */
  cronExpression?: string;
  /** Wall clock, epoch ms. */
  clock: () => number;
  /** Told when a check fails; the job keeps running. */
  onError?: (error: unknown) => void;
}

export interface SlaMonitor {
  /** Stops the job; resolves once a check that is running has finished. */
  stop(): Promise<void>;
}

export function startSlaMonitor(options: SlaMonitorOptions): SlaMonitor {
  const expression = options.cronExpression ?? DEFAULT_SLA_CRON;
  if (!cron.validate(expression))
    throw new Error(`SLA monitor: '${expression}' is not a valid cron expression`);
  let running: Promise<unknown> = Promise.resolve();
  const task = cron.schedule(
    expression,
    () => {
      running = options.service.checkSla(options.clock()).catch((error) => options.onError?.(error));
      return running;
    },
    // A slow check must not pile up behind itself; the next tick picks up whatever it missed.
    { name: 'sla-monitor', noOverlap: true },
  );
  return {
    async stop() {
      await task.destroy();
      await running;
    },
  };
}
