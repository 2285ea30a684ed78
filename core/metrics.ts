import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REJECT_REASONS } from './types.js';

/** Prometheus metrics of one platform instance (own registry, so several instances can share a process). */
export function createMetrics() {
  const registry = new Registry();
  const metrics = {
    registry,
    messagesReceived: new Counter({
      name: 'forewarn_mqtt_messages_received_total',
      help: 'Telemetry messages received from devices',
      registers: [registry],
    }),
    readingsAccepted: new Counter({
      name: 'forewarn_readings_accepted_total',
      help: 'Readings that passed validation',
      registers: [registry],
    }),
    readingsStored: new Counter({
      name: 'forewarn_readings_stored_total',
      help: 'Readings durably stored (duplicates excluded)',
      registers: [registry],
    }),
    duplicateReadings: new Counter({
      name: 'forewarn_readings_duplicate_total',
      help: 'Readings ignored because the store already had that device and timestamp',
      registers: [registry],
    }),
    rejects: new Counter({
      name: 'forewarn_ingest_rejects_total',
      help: 'Messages or readings refused by ingest, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'forewarn_ingest_batch_readings',
      help: 'Readings per committed batch',
      buckets: [1, 10, 50, 100, 500, 1000, 5000, 20000],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'forewarn_ingest_commit_seconds',
      help: 'Time to durably commit one batch',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    commitFailures: new Counter({
      name: 'forewarn_ingest_commit_failures_total',
      help: 'Batch commits that failed and will be retried',
      registers: [registry],
    }),
    bufferedReadings: new Gauge({
      name: 'forewarn_ingest_buffered_readings',
      help: 'Readings accepted but not yet committed',
      registers: [registry],
    }),
    backpressure: new Gauge({
      name: 'forewarn_ingest_backpressure',
      help: '1 while ingest withholds acknowledgements because its buffer is full',
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'forewarn_mqtt_throttled_total',
      help: 'Messages delayed because their device exceeded its rate limit',
      registers: [registry],
    }),
    rulesReadingsEvaluated: new Counter({
      name: 'forewarn_rules_readings_evaluated_total',
      help: 'Readings the rules engine has evaluated',
      registers: [registry],
    }),
    rulesEvaluationLag: new Histogram({
      name: 'forewarn_rules_evaluation_lag_seconds',
      help: 'From a reading’s own timestamp to its evaluation by the rules engine',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [registry],
    }),
    connectedDevices: new Gauge({
      name: 'forewarn_mqtt_connected_devices',
      help: 'Devices connected to the broker',
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'forewarn_mqtt_auth_failures_total',
      help: 'Connections refused for bad credentials',
      registers: [registry],
    }),
    aclRefusals: new Counter({
      name: 'forewarn_mqtt_acl_refusals_total',
      help: 'Publishes and subscriptions refused by the ACL',
      labelNames: ['action'],
      registers: [registry],
    }),
  };
  for (const reason of REJECT_REASONS) metrics.rejects.inc({ reason }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
