/** The messages between the benchmark orchestrator and a load generator process (bench/loadgen.ts). */
import type { HistogramJson } from './histogram.js';

export interface Target {
  host: string;
  port: number;
}

/** A device as the generator connects it: MQTT username is the id; no token for an anonymous broker. */
export interface DeviceLogin {
  id: string;
  token?: string;
}

export interface ConnectCommand {
  cmd: 'connect';
  target: Target;
  devices: DeviceLogin[];
  /** Connections being opened at any moment. */
  concurrency: number;
  /** Seconds; 0 turns keep-alive off. */
  keepalive: number;
  /** Give up on the whole step after this long. */
  timeoutMs: number;
}

export interface ConnectReply {
  connected: number;
  failed: number;
  /** Wall time from the first connect to the last CONNACK, ms. */
  elapsedMs: number;
  /** Time from TCP connect to CONNACK, per connection. */
  connectLatency: HistogramJson;
  /** The first few failures, as text. */
  errors: string[];
}

export interface PublishCommand {
  cmd: 'publish';
  /** Readings per message: 1 sends an object, more an array. */
  readingsPerMessage: number;
  /** QoS 1 messages awaiting their PUBACK per connection. */
  window: number;
  /** The count bound: no more than this many messages in all… */
  maxMessages: number;
  /** …and the time bound: no sends after this long. */
  durationMs: number;
  /** Messages per second over all connections; absent means as fast as the broker acknowledges. */
  rate?: number;
  /** How long to wait for outstanding PUBACKs after the last send. */
  drainMs: number;
  seed: number;
}

export interface PublishReply {
  connections: number;
  sent: number;
  acked: number;
  readingsPerMessage: number;
  /** Epoch ms (Date.now(), the clock every process shares) of the first send, the last send and the last PUBACK. */
  firstSendAt: number;
  lastSendAt: number;
  lastAckAt: number;
  /** Which bound ended the sending. */
  stoppedBy: 'count' | 'time';
  /** Publish → PUBACK; in paced mode measured from when the message was due, so a late send counts. */
  ackLatency: HistogramJson;
  /** Paced mode: how late each message was sent after it was due (the generator's own lag). */
  sendLag: HistogramJson;
  /** How far reading timestamps ran ahead of the wall clock to stay unique per device, ms. */
  maxTimestampLeadMs: number;
  /** Connections the broker closed during the run. */
  closedByBroker: number;
}

export interface SubscribeCommand {
  cmd: 'subscribe';
  target: Target;
  filter: string;
}

export interface SettleCommand {
  cmd: 'settle';
  /** Messages expected; the reply comes once they have arrived… */
  expected: number;
  /** …or once nothing arrived for this long… */
  quietMs: number;
  /** …or after this long in all. */
  timeoutMs: number;
}

export interface SettleReply {
  received: number;
  /** Epoch ms of the first and last message received. */
  firstAt: number;
  lastAt: number;
  /** Publish → delivery for single readings, from the `ts` in the payload (millisecond resolution). */
  deliveryLatency: HistogramJson;
}

export interface DisconnectCommand {
  cmd: 'disconnect';
}

export type LoadgenCommand =
  | ConnectCommand
  | PublishCommand
  | SubscribeCommand
  | SettleCommand
  | DisconnectCommand;

export interface LoadgenReplies {
  connect: ConnectReply;
  publish: PublishReply;
  subscribe: { subscribed: true };
  settle: SettleReply;
  disconnect: { closed: number };
}

/** Envelope on the IPC channel; `id` pairs a reply with its request. */
export interface LoadgenRequest {
  id: number;
  command: LoadgenCommand;
}

export type LoadgenResponse =
  | { id: number; ok: true; reply: unknown }
  | { id: number; ok: false; error: string };
