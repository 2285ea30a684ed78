/**
 * The MQTT wire format, written down once: topics, identifiers and payload shapes shared by the
 * broker ACL, ingest, the simulator and the dashboard.
 */

/** Device ids may not contain MQTT wildcards or level separators. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Metric names are lowercase snake case so they map onto SQL columns, Influx fields and CSV headers alike. */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

export const TOPIC_ROOT = 'fleet';

/** What each device topic carries. */
export interface TopicPayloads {
  /** One reading or an array of them (a device that buffered while offline). */
  telemetry: TelemetryPayload;
  /** Availability, retained; normally the device's last will says `offline`. */
  status: DeviceAvailability;
  /** Commands from the platform to the device. */
  cmd: Record<string, unknown>;
}

export type DeviceTopicKind = keyof TopicPayloads;

export type DeviceAvailability = 'online' | 'offline';

/** One reading as a device sends it: `ts` is epoch milliseconds or ISO-8601; every other key is a metric. */
export interface WireReading {
  ts?: number | string;
  [metric: string]: number | string | undefined;
}

export type TelemetryPayload = WireReading | WireReading[];

export const topics = {
  telemetry: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/telemetry`,
  status: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/status`,
  commands: (deviceId: string) => `${TOPIC_ROOT}/${deviceId}/cmd/#`,
} as const;

export interface ParsedDeviceTopic {
  deviceId: string;
  kind: DeviceTopicKind;
  /** Levels below `cmd/`, if any. */
  rest: string[];
}

/** Splits `fleet/<id>/<kind>[/...]`; anything else is `null`. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  const levels = topic.split('/');
  if (levels.length < 3 || levels[0] !== TOPIC_ROOT) return null;
  const [, deviceId, kind, ...rest] = levels;
  if (!DEVICE_ID_PATTERN.test(deviceId)) return null;
  if (kind === 'telemetry' || kind === 'status') return rest.length === 0 ? { deviceId, kind, rest } : null;
  if (kind === 'cmd') return { deviceId, kind, rest };
  return null;
}

/** What `deviceId` publishes to `topic`: its own telemetry or status, or null for anything it may not publish to. */
export function publishedKind(deviceId: string, topic: string): 'telemetry' | 'status' | null {
  const parsed = parseDeviceTopic(topic);
  if (parsed === null || parsed.deviceId !== deviceId) return null;
  return parsed.kind === 'telemetry' || parsed.kind === 'status' ? parsed.kind : null;
}

/** May `deviceId` publish to `topic`? Only its own telemetry and status. */
export function mayPublish(deviceId: string, topic: string): boolean {
  return publishedKind(deviceId, topic) !== null;
}

/** May `deviceId` subscribe to `filter`? Only below its own `cmd/`. */
export function maySubscribe(deviceId: string, filter: string): boolean {
  const prefix = `${TOPIC_ROOT}/${deviceId}/cmd`;
  if (filter === prefix || filter === `${prefix}/#`) return true;
  if (!filter.startsWith(`${prefix}/`)) return false;
  // A wildcard may only stand for levels below the device's own cmd/ subtree.
  return !filter
    .slice(prefix.length + 1)
    .split('/')
    .some((level, i, all) => level === '#' && i !== all.length - 1);
}
