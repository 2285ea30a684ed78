/**
 * The load generator: a process of its own (forked by bench/loadgen-client.ts) so that the broker under test never
 * shares an event loop with its load. It opens raw MQTT connections, publishes QoS 1 telemetry with a bounded
 * number of messages in flight per connection, and reports counts and latency histograms over IPC.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { topics } from '../core/wire.js';
import { Histogram } from './histogram.js';
import type {
  ConnectCommand,
  ConnectReply,
  DeviceLogin,
  LoadgenCommand,
  LoadgenRequest,
  LoadgenResponse,
  PublishCommand,
  PublishReply,
  SettleCommand,
  SettleReply,
  SubscribeCommand,
} from './loadgen-protocol.js';
import { encodeSubscribe, openMqtt, PublishEncoder } from './mqtt-wire.js';
import { DeviceSignal, type PrerenderedReadings, TimestampSequence } from './readings.js';

/** Packet ids cycle through 1..this; a connection never has more messages in flight (its window is capped below it). */
const PACKET_IDS = 1024;
const MAX_ERRORS_REPORTED = 5;
/** Distinct readings per device, cycled (a day's worth at 10 s would only cost memory). */
const PRERENDERED = 256;

/**
 * Timestamps per device for the life of this process: a device that reconnects for the next phase must not send a
 * timestamp it already sent (the store would count the reading as a duplicate, not as stored).
 */
const sequences = new Map<string, TimestampSequence>();
function timestampsOf(device: string): TimestampSequence {
  let sequence = sequences.get(device);
  if (!sequence) {
    sequence = new TimestampSequence();
    sequences.set(device, sequence);
  }
  return sequence;
}

/** One device's connection and its publishing state. */
class DeviceConnection {
  socket: Socket | null = null;
  readonly encoder: PublishEncoder;
  /** When each in-flight packet id was sent (or due), performance.now() ms; NaN while the id is free. */
  readonly sentAt = new Float64Array(PACKET_IDS + 1).fill(Number.NaN);
  readonly timestamps: TimestampSequence;
  readings: PrerenderedReadings | null = null;
  inFlight = 0;
  #nextPacketId = 0;
  closed = false;

  constructor(readonly login: DeviceLogin) {
    this.encoder = new PublishEncoder(topics.telemetry(login.id));
    this.timestamps = timestampsOf(login.id);
  }

  /** The next packet id not in flight (MQTT-2.3.1-4: an id is reused only after its acknowledgement). */
  packetId(): number {
    do this.#nextPacketId = (this.#nextPacketId % PACKET_IDS) + 1;
    while (!Number.isNaN(this.sentAt[this.#nextPacketId]));
    return this.#nextPacketId;
  }
}

/** The publishing run in progress; PUBACKs from every connection report to it. */
interface ActiveRun {
  command: PublishCommand;
  histogram: Histogram;
  /** Paced mode: how late each message left after it was due. */
  sendLag: Histogram;
  sent: number;
  acked: number;
  /** Messages sent and neither acknowledged nor lost with a closed connection. */
  outstanding: number;
  deadline: number;
  stopped: boolean;
  stoppedBy: 'count' | 'time';
  firstSendAt: number;
  lastSendAt: number;
  lastAckAt: number;
  maxLeadMs: number;
  /** Called whenever a connection has room again (saturating mode). */
  refill(connection: DeviceConnection, room: number): void;
  /** Resolves the run once nothing is in flight any more. */
  checkDone(): void;
}

let connections: DeviceConnection[] = [];
let run: ActiveRun | null = null;
let closedByBroker = 0;

function onPuback(connection: DeviceConnection, packetId: number): void {
  const sentAt = connection.sentAt[packetId];
  if (Number.isNaN(sentAt)) return; // not ours, or acknowledged twice
  connection.sentAt[packetId] = Number.NaN;
  connection.inFlight--;
  if (!run) return;
  const now = performance.now();
  run.histogram.recordMs(now - sentAt);
  run.acked++;
  run.outstanding--;
  run.lastAckAt = Date.now();
}

async function connectAll(command: ConnectCommand): Promise<ConnectReply> {
  const started = performance.now();
  const deadline = started + command.timeoutMs;
  const latency = new Histogram();
  const errors: string[] = [];
  let next = 0;
  const opened: DeviceConnection[] = [];
  const worker = async () => {
    while (next < command.devices.length && performance.now() < deadline) {
      const connection = new DeviceConnection(command.devices[next++]);
      const begin = performance.now();
      // Acks that arrive within one socket read are counted first, then refilled with one write.
      let acksInRead = 0;
      try {
        const socket = await openMqtt(
          command.target.host,
          command.target.port,
          {
            clientId: connection.login.id,
            username: connection.login.id,
            password: connection.login.token,
            keepalive: command.keepalive,
          },
          {
            onPuback: (packetId) => {
              acksInRead++;
              onPuback(connection, packetId);
            },
          },
          Math.max(1, deadline - begin),
        );
        socket.prependListener('data', () => {
          acksInRead = 0;
        });
        socket.on('data', () => {
          if (acksInRead > 0 && run) run.refill(connection, acksInRead);
          run?.checkDone();
        });
        socket.on('error', () => undefined); // 'close' follows and is what counts
        socket.on('close', () => {
          if (!connection.closed) closedByBroker++;
          connection.closed = true;
          if (run) run.outstanding -= connection.inFlight;
          connection.inFlight = 0;
          run?.checkDone();
        });
        connection.socket = socket;
        latency.recordMs(performance.now() - begin);
        opened.push(connection);
      } catch (error) {
        if (errors.length < MAX_ERRORS_REPORTED)
          errors.push(`${connection.login.id}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, command.concurrency) }, worker));
  connections.push(...opened);
  return {
    connected: opened.length,
    failed: command.devices.length - opened.length,
    elapsedMs: performance.now() - started,
    connectLatency: latency.toJSON(),
    errors,
  };
}

/** Writes `count` messages on one connection in a single socket write; `dueAt` gives each one's due time. */
function send(
  active: ActiveRun,
  connection: DeviceConnection,
  count: number,
  dueAt?: (i: number) => number,
): void {
  const { readingsPerMessage } = active.command;
  const wallNow = Date.now();
  const payloads: string[] = new Array(count);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    let ts = connection.timestamps.next(wallNow, readingsPerMessage);
    let payload: string;
    const readings = connection.readings as PrerenderedReadings;
    if (readingsPerMessage === 1) payload = readings.json(ts);
    else {
      const parts: string[] = new Array(readingsPerMessage);
      for (let r = 0; r < readingsPerMessage; r++) parts[r] = readings.json(ts++);
      payload = `[${parts.join(',')}]`;
    }
    payloads[i] = payload;
    bytes += connection.encoder.size(payload.length);
  }
  const buffer = Buffer.allocUnsafe(bytes);
  let offset = 0;
  const now = performance.now();
  for (let i = 0; i < count; i++) {
    const packetId = connection.packetId();
    connection.sentAt[packetId] = dueAt ? dueAt(i) : now;
    if (dueAt) active.sendLag.recordMs(now - dueAt(i));
    offset = connection.encoder.write(buffer, offset, packetId, payloads[i], payloads[i].length);
  }
  connection.inFlight += count;
  active.sent += count;
  active.outstanding += count;
  if (active.firstSendAt === 0) active.firstSendAt = wallNow;
  active.lastSendAt = wallNow;
  active.maxLeadMs = Math.max(active.maxLeadMs, connection.timestamps.leadMs(wallNow));
  connection.socket?.write(buffer);
}

function publish(command: PublishCommand): Promise<PublishReply> {
  if (command.window < 1 || command.window >= PACKET_IDS) {
    return Promise.reject(new Error(`the window must be 1 to ${PACKET_IDS - 1} messages per connection`));
  }
  return new Promise((resolve) => {
    const live = connections.filter((c) => !c.closed);
    for (const connection of live) {
      connection.readings ??= new DeviceSignal(command.seed, connection.login.id).prerender(
        PRERENDERED,
        Date.now(),
      );
    }
    let drainTimer: NodeJS.Timeout | undefined;
    let paceTimer: NodeJS.Timeout | undefined;

    const finish = () => {
      if (!run) return;
      const active = run;
      run = null;
      clearTimeout(drainTimer);
      clearTimeout(paceTimer);
      resolve({
        connections: live.length,
        sent: active.sent,
        acked: active.acked,
        readingsPerMessage: command.readingsPerMessage,
        firstSendAt: active.firstSendAt,
        lastSendAt: active.lastSendAt,
        lastAckAt: active.lastAckAt,
        stoppedBy: active.stoppedBy,
        ackLatency: active.histogram.toJSON(),
        sendLag: active.sendLag.toJSON(),
        maxTimestampLeadMs: active.maxLeadMs,
        closedByBroker,
      });
    };
    const stop = (by: 'count' | 'time') => {
      if (active.stopped) return;
      active.stopped = true;
      active.stoppedBy = by;
      clearTimeout(paceTimer);
      drainTimer = setTimeout(finish, command.drainMs);
      active.checkDone();
    };
    const budget = (wanted: number): number => {
      if (active.stopped) return 0;
      if (performance.now() >= active.deadline) {
        stop('time');
        return 0;
      }
      const left = command.maxMessages - active.sent;
      if (left <= 0) {
        stop('count');
        return 0;
      }
      return Math.min(wanted, left);
    };

    const active: ActiveRun = {
      command,
      histogram: new Histogram(),
      sendLag: new Histogram(),
      sent: 0,
      acked: 0,
      outstanding: 0,
      deadline: performance.now() + command.durationMs,
      stopped: false,
      stoppedBy: 'time',
      firstSendAt: 0,
      lastSendAt: 0,
      lastAckAt: 0,
      maxLeadMs: 0,
      refill: (connection, room) => {
        if (command.rate !== undefined || connection.closed) return;
        const count = budget(Math.min(room, command.window - connection.inFlight));
        if (count > 0) send(active, connection, count);
      },
      checkDone: () => {
        if (active.stopped && active.outstanding <= 0) finish();
      },
    };
    run = active;

    if (live.length === 0) {
      stop('count');
      return;
    }
    if (command.rate === undefined) {
      for (const connection of live) {
        const count = budget(command.window);
        if (count > 0) send(active, connection, count);
      }
      return;
    }

    // Paced: every message has a due time; one that waits for window space is still timed from when it was due.
    const intervalMs = 1000 / command.rate;
    const start = performance.now();
    let due = 0;
    let cursor = 0;
    const tick = () => {
      const owed = Math.floor((performance.now() - start) / intervalMs) + 1 - due;
      const wanted = budget(owed);
      const perConnection = new Map<DeviceConnection, number[]>();
      for (let i = 0, tries = 0; i < wanted && tries < live.length; ) {
        const connection = live[cursor];
        cursor = (cursor + 1) % live.length;
        const queued = perConnection.get(connection);
        if (connection.closed || connection.inFlight + (queued?.length ?? 0) >= command.window) {
          tries++;
          continue;
        }
        tries = 0;
        const dueAt = start + (due + i) * intervalMs;
        if (queued) queued.push(dueAt);
        else perConnection.set(connection, [dueAt]);
        i++;
      }
      for (const [connection, dueTimes] of perConnection) {
        send(active, connection, dueTimes.length, (i) => dueTimes[i]);
        due += dueTimes.length;
      }
      if (!active.stopped) paceTimer = setTimeout(tick, 1);
    };
    tick();
  });
}

// --- subscriber role: one connection that counts what the broker relays to it ---

let subscriber: Socket | null = null;
const received = { count: 0, firstAt: 0, lastAt: 0, latency: new Histogram() };

/** The `ts` of a single-reading payload (`{"ts":1712345678901,…`), read without parsing the JSON. */
function leadingTimestamp(payload: Buffer): number {
  const prefix = 6; // {"ts":
  if (payload[0] !== 0x7b || payload.length < prefix + 13) return Number.NaN;
  let ts = 0;
  for (let i = prefix; i < prefix + 13; i++) ts = ts * 10 + (payload[i] - 0x30);
  return ts;
}

async function subscribe(command: SubscribeCommand): Promise<{ subscribed: true }> {
  let acknowledged: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => {
    acknowledged = resolve;
  });
  subscriber = await openMqtt(
    command.target.host,
    command.target.port,
    { clientId: `bench-subscriber-${process.pid}`, keepalive: 0 },
    {
      onSuback: () => acknowledged(),
      onPublish: (payload) => {
        const now = Date.now(); // the clock the publisher's `ts` comes from
        if (received.count === 0) received.firstAt = now;
        received.count++;
        received.lastAt = now;
        const ts = leadingTimestamp(payload);
        if (!Number.isNaN(ts)) received.latency.recordMs(now - ts);
      },
    },
    10_000,
  );
  subscriber.on('error', () => undefined);
  // QoS 0: the baseline is the broker's raw relaying, without delivery acknowledgements.
  subscriber.write(encodeSubscribe(1, command.filter, 0));
  await subscribed;
  return { subscribed: true };
}

async function settle(command: SettleCommand): Promise<SettleReply> {
  const deadline = Date.now() + command.timeoutMs;
  while (received.count < command.expected && Date.now() < deadline) {
    const before = received.count;
    await new Promise((r) => setTimeout(r, command.quietMs));
    if (received.count === before && before > 0) break;
  }
  const reply: SettleReply = {
    received: received.count,
    firstAt: received.firstAt,
    lastAt: received.lastAt,
    deliveryLatency: received.latency.toJSON(),
  };
  Object.assign(received, { count: 0, firstAt: 0, lastAt: 0, latency: new Histogram() });
  return reply;
}

async function disconnect(): Promise<{ closed: number }> {
  const open = [...connections.map((c) => c.socket), subscriber].filter(
    (s): s is Socket => s !== null && !s.destroyed,
  );
  const closed = open.map(
    (socket) =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end(Buffer.from([0xe0, 0x00])); // DISCONNECT, 3.1.1 section 3.14
        setTimeout(() => socket.destroy(), 2000).unref();
      }),
  );
  for (const connection of connections) connection.closed = true;
  await Promise.all(closed);
  connections = [];
  subscriber = null;
  closedByBroker = 0;
  return { closed: open.length };
}

function execute(command: LoadgenCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'connect':
      return connectAll(command);
    case 'publish':
      return publish(command);
    case 'subscribe':
      return subscribe(command);
    case 'settle':
      return settle(command);
    case 'disconnect':
      return disconnect();
  }
}

process.on('message', (request: LoadgenRequest) => {
  execute(request.command).then(
    (reply) => process.send?.({ id: request.id, ok: true, reply } satisfies LoadgenResponse),
    (error: unknown) =>
      process.send?.({
        id: request.id,
        ok: false,
        error: (error as Error).message ?? String(error),
      } satisfies LoadgenResponse),
  );
});
// The orchestrator going away ends the generator, whatever it was doing.
process.on('disconnect', () => process.exit(0));
