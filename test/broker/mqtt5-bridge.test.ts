import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWebSocketStream, WebSocketServer } from 'ws';
import {
  bridgeConnection,
  type ConnectIdentity,
  type Mqtt5BridgeOptions,
} from '../../broker/mqtt5-bridge.js';
import { mayPublish, maySubscribe } from '../../core/wire.js';

const PASSWORDS: Record<string, string> = { 'dev-1': 'secret-1', 'dev-2': 'secret-2', ops: 'ops-secret' };
/** `ops` is the platform side: it may publish and subscribe anywhere; devices only where core/wire.ts says. */
const mayPublishAs = (username: string | undefined, topic: string) =>
  username === 'ops' || (username !== undefined && mayPublish(username, topic));
const maySubscribeAs = (username: string | undefined, filter: string) =>
  username === 'ops' || (username !== undefined && maySubscribe(username, filter));

interface TestBroker {
  broker: Aedes;
  port: number;
  refused: { topic: string; identity: ConnectIdentity }[];
  /** Each accepted socket with the stream `bridgeConnection` handed to aedes. */
  handed: { socket: Socket; stream: Duplex }[];
  /** aedes's connected clients by client id. */
  connected: Map<string, Client>;
  openSockets(): number;
  close(): Promise<void>;
}

async function startBroker(bridgeOptions: Partial<Mqtt5BridgeOptions> = {}): Promise<TestBroker> {
  const usernames = new WeakMap<Client, string>();
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      if (username === undefined || PASSWORDS[username] !== password?.toString()) {
        done(
          Object.assign(new Error('bad user name or password'), { returnCode: 4 }) as AuthenticateError,
          false,
        );
        return;
      }
      usernames.set(client, username);
      done(null, true);
    },
    // 3.1.1 clients are refused here, by closing the connection; MQTT 5 ones already in the bridge.
    authorizePublish(client, packet, done) {
      const username = client ? usernames.get(client) : undefined;
      done(mayPublishAs(username, packet.topic) ? null : new Error('not authorized'));
    },
    authorizeSubscribe(client, subscription, done) {
      done(null, maySubscribeAs(usernames.get(client), subscription.topic) ? subscription : null);
    },
  });
  const connected = new Map<string, Client>();
  broker.on('clientReady', (client) => connected.set(client.id, client));
  broker.on('clientDisconnect', (client) => connected.delete(client.id));
  const refused: TestBroker['refused'] = [];
  const handed: TestBroker['handed'] = [];
  const sockets = new Set<Socket>();
  const options: Mqtt5BridgeOptions = {
    authorizePublish: (identity, topic) => mayPublishAs(identity.username, topic),
    onRefusedPublish: (topic, identity) => refused.push({ topic, identity }),
    ...bridgeOptions,
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    bridgeConnection(socket, options, (stream) => {
      handed.push({ socket, stream });
      broker.handle(stream);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    broker,
    port: (server.address() as AddressInfo).port,
    refused,
    handed,
    connected,
    openSockets: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

let shared: TestBroker;
const clients: MqttClient[] = [];
const rawSockets: Socket[] = [];
let clientCount = 0;

beforeAll(async () => {
  shared = await startBroker();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  for (const socket of rawSockets.splice(0)) socket.destroy();
});
afterAll(async () => {
  await shared.close();
});

type Version = 4 | 5;

function clientOptions(version: Version, username: string, extra: IClientOptions = {}): IClientOptions {
  clientCount += 1;
  return {
    protocolVersion: version,
    username,
    password: PASSWORDS[username],
    clientId: `${username}-v${version}-${clientCount}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...extra,
  };
}

/** A connected client; rejects with the client's error when the broker refuses it. */
async function connect(
  version: Version,
  username: string,
  extra: IClientOptions = {},
  url = `mqtt://127.0.0.1:${shared.port}`,
) {
  const client = mqtt.connect(url, clientOptions(version, username, extra));
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  return client;
}

interface Received {
  topic: string;
  payload: string;
  qos: number;
}

/** Everything `client` receives from now on, and a way to wait until `count` messages are in. */
function collect(client: MqttClient) {
  const messages: Received[] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), qos: packet.qos });
    if (waiting && messages.length >= waiting.count) waiting.resolve();
  });
  return {
    messages,
    until(count: number): Promise<Received[]> {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve) => {
        waiting = { count, resolve: () => resolve(messages) };
      });
    },
  };
}

/** The next packet of kind `cmd` that `client` receives. */
function nextReceived(client: MqttClient, cmd: Packet['cmd']): Promise<Packet> {
  return new Promise((resolve) => {
    const listener = (packet: Packet) => {
      if (packet.cmd !== cmd) return;
      client.off('packetreceive', listener);
      resolve(packet);
    };
    client.on('packetreceive', listener);
  });
}

/** The server side of `client`'s connection and the stream aedes got for it. */
function handedFor(client: MqttClient): TestBroker['handed'][number] {
  const localPort = (client.stream as Socket).localPort;
  const handed = shared.handed.find(({ socket }) => socket.remotePort === localPort);
  if (!handed) throw new Error(`no connection from port ${localPort} reached aedes`);
  return handed;
}

/** Kept from before any test fakes timers: waiting for I/O needs the real clock. */
const realSetTimeout = globalThis.setTimeout;

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 10));
  }
}

/** A raw TCP connection that speaks MQTT 5 packet by packet, for what mqtt.js would never send. */
async function rawConnection(protocolVersion: Version = 5) {
  const socket = new Socket();
  rawSockets.push(socket);
  socket.connect(shared.port, '127.0.0.1');
  await once(socket, 'connect');
  const parser = mqttPacket.parser({ protocolVersion });
  const received: Packet[] = [];
  parser.on('packet', (packet) => received.push(packet));
  socket.on('data', (chunk) => parser.parse(chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    socket,
    received,
    closed,
    send(...packets: Packet[]) {
      socket.write(Buffer.concat(packets.map((packet) => mqttPacket.generate(packet, { protocolVersion }))));
    },
  };
}

const v5Connect = (username: string, password = PASSWORDS[username], extra: object = {}): Packet => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 5,
  clientId: `${username}-raw-${++clientCount}`,
  clean: true,
  keepalive: 30,
  username,
  password: Buffer.from(password),
  ...extra,
});

const v5Publish = (topic: string, messageId: number, extra: object = {}): Packet => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(`m${messageId}`),
  qos: 1,
  dup: false,
  retain: false,
  messageId,
  ...extra,
});

describe('connecting', () => {
  it('accepts an MQTT 5 client with good credentials and announces what the bridge supports', async () => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${shared.port}`, clientOptions(5, 'dev-1'));
    clients.push(client);
    const connack = (await nextReceived(client, 'connack')) as mqttPacket.IConnackPacket;
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties).toMatchObject({
      topicAliasMaximum: 16,
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
    });
    await until(() => shared.connected.has(client.options.clientId!), 'aedes to register the client');
  });

  it('answers a bad password with CONNACK 0x86 for MQTT 5 and return code 4 for 3.1.1', async () => {
    await expect(connect(5, 'dev-1', { password: 'wrong' })).rejects.toMatchObject({ code: 0x86 });
    await expect(connect(4, 'dev-1', { password: 'wrong' })).rejects.toMatchObject({ code: 4 });
  });

  it('assigns a client identifier to an MQTT 5 client that sent none', async () => {
    const raw = await rawConnection();
    raw.send(v5Connect('dev-1', undefined, { clientId: '' }));
    await until(() => raw.received.length > 0, 'the CONNACK');
    const connack = raw.received[0] as mqttPacket.IConnackPacket;
    expect(connack.reasonCode).toBe(0);
    const assigned = connack.properties?.assignedClientIdentifier;
    expect(assigned).toMatch(/^mqtt5-/);
    await until(() => shared.connected.has(assigned!), 'aedes to register the client by the assigned id');
  });

  it('refuses enhanced authentication with CONNACK 0x8C without involving the broker', async () => {
    const raw = await rawConnection();
    const clientsBefore = shared.broker.connectedClients;
    raw.send(v5Connect('dev-1', undefined, { properties: { authenticationMethod: 'SCRAM-SHA-1' } }));
    await raw.closed;
    expect(raw.received).toMatchObject([{ cmd: 'connack', reasonCode: 0x8c }]);
    expect(shared.broker.connectedClients).toBe(clientsBefore);
  });

  it('reads a CONNECT that arrives a few bytes at a time, for either protocol', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const raw = await rawConnection(protocolVersion);
      const bytes = mqttPacket.generate({ ...v5Connect('dev-1'), protocolVersion } as Packet, {
        protocolVersion,
      });
      for (const piece of [
        bytes.subarray(0, 1),
        bytes.subarray(1, 4),
        bytes.subarray(4, 9),
        bytes.subarray(9),
      ]) {
        raw.socket.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await until(() => raw.received.length > 0, 'the CONNACK');
      expect(raw.received[0]).toMatchObject(
        protocolVersion === 5 ? { cmd: 'connack', reasonCode: 0 } : { cmd: 'connack', returnCode: 0 },
      );
    }
  });

  it('hands a 3.1.1 connection to aedes as the socket itself, an MQTT 5 one through the bridge', async () => {
    const v4 = handedFor(await connect(4, 'dev-1'));
    const v5 = handedFor(await connect(5, 'dev-2'));
    expect(v4.stream).toBe(v4.socket);
    expect(v5.stream).not.toBe(v5.socket);
  });

  it('bridges WebSocket streams for either protocol', async () => {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http, path: '/mqtt' });
    wss.on('connection', (ws) =>
      bridgeConnection(
        createWebSocketStream(ws),
        { authorizePublish: (identity, topic) => mayPublishAs(identity.username, topic) },
        (stream) => shared.broker.handle(stream),
      ),
    );
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    try {
      const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/mqtt`;
      const ops = await connect(5, 'ops', {}, url);
      await ops.subscribeAsync('fleet/+/telemetry', { qos: 1 });
      const inbox = collect(ops);
      for (const version of [4, 5] as const) {
        const device = await connect(version, 'dev-1', {}, url);
        await device.publishAsync('fleet/dev-1/telemetry', `over ws v${version}`, { qos: 1 });
      }
      expect((await inbox.until(2)).map(({ payload }) => payload)).toEqual(['over ws v4', 'over ws v5']);
    } finally {
      await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
      wss.close();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe('publishing and subscribing across protocol versions', () => {
  const cases = [4, 5].flatMap((publisher) =>
    [4, 5].flatMap((subscriber) => [0, 1, 2].map((qos) => ({ publisher, subscriber, qos }))),
  ) as { publisher: Version; subscriber: Version; qos: 0 | 1 | 2 }[];

  it.each(cases)(
    'v$publisher publisher → v$subscriber subscriber at QoS $qos',
    async ({ publisher, subscriber, qos }) => {
      const ops = await connect(subscriber, 'ops');
      await ops.subscribeAsync('fleet/+/telemetry', { qos: 2 });
      const inbox = collect(ops);
      const device = await connect(publisher, 'dev-1');
      const payload = JSON.stringify({ ts: Date.now(), vibration_rms: publisher * 10 + qos });
      await device.publishAsync('fleet/dev-1/telemetry', payload, { qos });
      expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-1/telemetry', payload, qos }]);
    },
  );

  it('delivers commands from a 3.1.1 publisher to an MQTT 5 device', async () => {
    const device = await connect(5, 'dev-1');
    await device.subscribeAsync('fleet/dev-1/cmd/#', { qos: 1 });
    const inbox = collect(device);
    const ops = await connect(4, 'ops');
    await ops.publishAsync('fleet/dev-1/cmd/reboot', '{"at":0}', { qos: 1 });
    expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-1/cmd/reboot', payload: '{"at":0}', qos: 1 }]);
  });

  it('resolves topic aliases the MQTT 5 client sets up', async () => {
    const ops = await connect(4, 'ops');
    await ops.subscribeAsync('fleet/#', { qos: 1 });
    const inbox = collect(ops);
    const device = await connect(5, 'dev-1', { autoAssignTopicAlias: true });
    const sentTopics: string[] = [];
    device.on('packetsend', (packet) => {
      if (packet.cmd === 'publish') sentTopics.push(packet.topic);
    });
    for (const n of [1, 2, 3]) await device.publishAsync('fleet/dev-1/telemetry', `r${n}`, { qos: 1 });
    expect(sentTopics).toEqual(['fleet/dev-1/telemetry', '', '']);
    expect((await inbox.until(3)).map(({ topic, payload }) => `${topic} ${payload}`)).toEqual([
      'fleet/dev-1/telemetry r1',
      'fleet/dev-1/telemetry r2',
      'fleet/dev-1/telemetry r3',
    ]);
  });

  it('disconnects a client whose topic alias exceeds the announced maximum with 0x94', async () => {
    const raw = await rawConnection();
    raw.send(v5Connect('dev-1'));
    await until(() => raw.received.length === 1, 'the CONNACK');
    raw.send(v5Publish('fleet/dev-1/telemetry', 1, { properties: { topicAlias: 17 } }));
    await raw.closed;
    expect(raw.received.map((packet) => packet.cmd)).toEqual(['connack', 'disconnect']);
    expect(raw.received[1]).toMatchObject({ reasonCode: 0x94 });
  });

  it('keeps the session of an MQTT 5 client that asked for an expiry and resumes it', async () => {
    const persistent: IClientOptions = { clean: false, properties: { sessionExpiryInterval: 3_600 } };
    const first = await connect(5, 'ops', persistent);
    const clientId = first.options.clientId!;
    await first.subscribeAsync('fleet/dev-1/status', { qos: 1 });
    await first.endAsync();

    const device = await connect(4, 'dev-1');
    await device.publishAsync('fleet/dev-1/status', 'online', { qos: 1 });

    const again = mqtt.connect(`mqtt://127.0.0.1:${shared.port}`, {
      ...clientOptions(5, 'ops', persistent),
      clientId,
    });
    clients.push(again);
    const inbox = collect(again);
    expect(await nextReceived(again, 'connack')).toMatchObject({ reasonCode: 0, sessionPresent: true });
    expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-1/status', payload: 'online', qos: 1 }]);
  });

  it('tells an MQTT 5 client asking for an expiry on a fresh session that it ends with the connection', async () => {
    const client = mqtt.connect(
      `mqtt://127.0.0.1:${shared.port}`,
      clientOptions(5, 'ops', { clean: true, properties: { sessionExpiryInterval: 3_600 } }),
    );
    clients.push(client);
    expect(await nextReceived(client, 'connack')).toMatchObject({
      reasonCode: 0,
      properties: { sessionExpiryInterval: 0 },
    });
  });

  it('answers an MQTT 5 UNSUBSCRIBE with one reason code per topic filter', async () => {
    const ops = await connect(5, 'ops');
    await ops.subscribeAsync(['fleet/a/telemetry', 'fleet/b/telemetry']);
    const unsuback = nextReceived(ops, 'unsuback');
    await ops.unsubscribeAsync(['fleet/a/telemetry', 'fleet/b/telemetry']);
    expect(await unsuback).toMatchObject({ granted: [0, 0] });
  });

  it('passes 2,000 QoS 1 messages in flight at once without loss', async () => {
    const opsV5 = await connect(5, 'ops');
    const opsV4 = await connect(4, 'ops');
    await Promise.all([opsV5, opsV4].map((ops) => ops.subscribeAsync('fleet/dev-1/telemetry', { qos: 1 })));
    const inboxes = [collect(opsV5), collect(opsV4)];
    const device = await connect(5, 'dev-1');
    const count = 2_000;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        device.publishAsync('fleet/dev-1/telemetry', JSON.stringify({ ts: i, seq: i }), { qos: 1 }),
      ),
    );
    for (const inbox of inboxes) {
      const messages = await inbox.until(count);
      const sequence = new Set(messages.map(({ payload }) => JSON.parse(payload).seq));
      expect(messages).toHaveLength(count);
      expect(sequence.size).toBe(count);
    }
  }, 20_000);
});

describe('access control for MQTT 5 clients', () => {
  it('refuses a subscription the broker does not authorize with SUBACK 0x87', async () => {
    const device = await connect(5, 'dev-1');
    await expect(
      device.subscribeAsync(['fleet/dev-1/cmd/#', 'fleet/dev-2/cmd/#'], { qos: 1 }),
    ).rejects.toMatchObject({ message: 'Subscribe error: Not authorized', packet: { granted: [1, 0x87] } });
  });

  it.each([1, 2] as const)(
    'answers an unauthorized QoS %i publish with reason 0x87 and stays usable',
    async (qos) => {
      const ops = await connect(4, 'ops');
      await ops.subscribeAsync('fleet/#', { qos: 1 });
      const inbox = collect(ops);
      const device = await connect(5, 'dev-1');
      const refusedBefore = shared.refused.length;

      await expect(device.publishAsync('fleet/dev-2/telemetry', 'forged', { qos })).rejects.toMatchObject({
        code: 0x87,
      });
      await device.publishAsync('fleet/dev-1/telemetry', 'genuine', { qos });

      // Both came from one client in order: had the forged one been delivered, it would be first.
      expect((await inbox.until(1)).map(({ payload }) => payload)).toEqual(['genuine']);
      expect(shared.refused.slice(refusedBefore)).toEqual([
        {
          topic: 'fleet/dev-2/telemetry',
          identity: { clientId: device.options.clientId, username: 'dev-1' },
        },
      ]);
      expect(device.connected).toBe(true);
    },
  );

  it('drops an unauthorized QoS 0 publish and counts it', async () => {
    const ops = await connect(4, 'ops');
    await ops.subscribeAsync('fleet/#', { qos: 1 });
    const inbox = collect(ops);
    const device = await connect(5, 'dev-1');
    const refusedBefore = shared.refused.length;
    await device.publishAsync('fleet/dev-2/status', 'forged', { qos: 0 });
    await device.publishAsync('fleet/dev-1/status', 'online', { qos: 1 });
    expect((await inbox.until(1)).map(({ payload }) => payload)).toEqual(['online']);
    expect(shared.refused.slice(refusedBefore).map(({ topic }) => topic)).toEqual(['fleet/dev-2/status']);
  });

  it('judges packets that follow the CONNECT in the same read only once the broker accepted it', async () => {
    const good = await rawConnection();
    good.send(
      v5Connect('dev-1'),
      v5Publish('fleet/dev-1/telemetry', 1),
      v5Publish('fleet/dev-2/telemetry', 2),
    );
    await until(() => good.received.length === 3, 'CONNACK and two PUBACKs');
    const [connack, ...pubacks] = good.received as (Packet & { messageId: number })[];
    expect(connack).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    // The refusal is answered at once, the accepted publish once aedes has handled it: either may come first.
    expect(pubacks.sort((a, b) => a.messageId - b.messageId)).toMatchObject([
      { cmd: 'puback', messageId: 1, reasonCode: 0 },
      { cmd: 'puback', messageId: 2, reasonCode: 0x87 },
    ]);

    const refusedBefore = shared.refused.length;
    const bad = await rawConnection();
    bad.send(
      v5Connect('dev-1', 'wrong'),
      v5Publish('fleet/dev-2/telemetry', 1),
      v5Publish('fleet/dev-1/telemetry', 2),
    );
    await bad.closed;
    expect(bad.received).toMatchObject([{ cmd: 'connack', reasonCode: 0x86 }]);
    expect(shared.refused.length).toBe(refusedBefore);
  });

  it('keeps a client alive whose only traffic is refused publishes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let pings = 0;
    const countPing = () => {
      pings += 1;
    };
    shared.broker.on('ping', countPing);
    try {
      const raw = await rawConnection();
      raw.send(v5Connect('dev-1', undefined, { keepalive: 10 }));
      await until(() => raw.received.length === 1, 'the CONNACK');
      // aedes closes a client it has not heard from in 1.5 keep-alive periods, here 15 s [MQTT-3.1.2-22].
      for (let i = 1; i <= 4; i++) {
        vi.advanceTimersByTime(7_000);
        raw.send(v5Publish('fleet/dev-2/telemetry', i, { qos: 0 }));
        await until(() => pings === i, 'aedes to hear from the client');
      }
      expect(raw.socket.destroyed).toBe(false);
      // The PINGRESPs for the bridge's own PINGREQs stay with the bridge.
      expect(raw.received.map(({ cmd }) => cmd)).toEqual(['connack']);

      vi.advanceTimersByTime(15_001);
      await raw.closed;
    } finally {
      shared.broker.off('ping', countPing);
      vi.useRealTimers();
    }
  });

  it('leaves 3.1.1 refusals to the broker, which closes the connection', async () => {
    const device = await connect(4, 'dev-1');
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.publish('fleet/dev-2/telemetry', 'forged', { qos: 1 });
    await closed;
    expect(device.connected).toBe(false);
  });
});

describe('wills and closing', () => {
  async function watchStatus() {
    const ops = await connect(4, 'ops');
    await ops.subscribeAsync('fleet/+/status', { qos: 1 });
    return collect(ops);
  }
  const will = {
    topic: 'fleet/dev-1/status',
    payload: Buffer.from('offline'),
    qos: 1 as const,
    retain: false,
  };

  it('publishes the will of an MQTT 5 client that vanishes', async () => {
    const inbox = await watchStatus();
    const device = await connect(5, 'dev-1', { will });
    device.stream.destroy();
    expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-1/status', payload: 'offline', qos: 1 }]);
  });

  it('publishes the will when an MQTT 5 client disconnects with reason 0x04', async () => {
    const inbox = await watchStatus();
    const device = await connect(5, 'dev-1', { will });
    await device.endAsync({ reasonCode: 0x04 });
    expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-1/status', payload: 'offline', qos: 1 }]);
  });

  it('discards the will on a normal MQTT 5 DISCONNECT', async () => {
    const inbox = await watchStatus();
    const device = await connect(5, 'dev-1', { will });
    const gone = once(shared.broker, 'clientDisconnect');
    await device.endAsync();
    await gone;
    const other = await connect(5, 'dev-2');
    await other.publishAsync('fleet/dev-2/status', 'online', { qos: 1 });
    expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-2/status', payload: 'online', qos: 1 }]);
  });

  it('closes both sides whichever side closes first', async () => {
    const byClient = await connect(5, 'dev-1');
    const byBroker = await connect(5, 'dev-2');
    const [clientSide, brokerSide] = [byClient, byBroker].map(handedFor);

    const clientClosed = new Promise<void>((resolve) => byBroker.once('close', () => resolve()));
    await until(() => shared.connected.has(byBroker.options.clientId!), 'aedes to register the client');
    shared.connected.get(byBroker.options.clientId!)?.close();
    await clientClosed;
    await byClient.endAsync();

    await until(
      () => [clientSide, brokerSide].every(({ socket, stream }) => socket.destroyed && stream.destroyed),
      'both sockets and bridges to be destroyed',
    );
    expect(shared.connected.get(byClient.options.clientId!)).toBeUndefined();
    expect(shared.connected.get(byBroker.options.clientId!)).toBeUndefined();
  });

  it('closes a connection that sends no CONNECT in time, without handing it to aedes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const silent = await startBroker({ connectTimeoutMs: 1_000 });
    try {
      const socket = new Socket();
      const closed = once(socket, 'close');
      socket.connect(silent.port, '127.0.0.1');
      await once(socket, 'connect');
      await until(() => silent.openSockets() === 1, 'the server to accept the connection');
      vi.advanceTimersByTime(999);
      expect(socket.destroyed).toBe(false);
      vi.advanceTimersByTime(1);
      await closed;
      expect(silent.handed).toEqual([]);
    } finally {
      vi.useRealTimers();
      await silent.close();
    }
  });
});

describe('backpressure', () => {
  const COUNT = 16_000;
  const PAYLOAD = Buffer.alloc(1024, 'x'); // 16 MB in all: more than the kernel's socket buffers hold
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** An accepted MQTT 5 connection whose broker side the test plays, so that side can stop reading at will. */
  async function bridgeWithoutBroker() {
    const accepted = new Promise<{ socket: Socket; stream: Duplex }>((resolve) => {
      const server = createServer((socket) =>
        bridgeConnection(socket, { authorizePublish: () => true }, (stream) => resolve({ socket, stream })),
      );
      servers.push(server);
      server.listen(0, '127.0.0.1');
    });
    await once(servers.at(-1)!, 'listening');
    const client = new Socket();
    rawSockets.push(client);
    client.connect((servers.at(-1)!.address() as AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    client.write(mqttPacket.generate(v5Connect('dev-1'), { protocolVersion: 5 }));
    const { socket, stream } = await accepted;
    stream.write(
      mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }, { protocolVersion: 4 }),
    );
    await once(client, 'data');
    return { client, socket, stream };
  }

  /** Waits until `value` stops changing, i.e. until the buffers in between are full. */
  async function settled(value: () => number): Promise<void> {
    let last = -1;
    let unchanged = 0;
    for (let polls = 0; unchanged < 3 && polls < 500; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      unchanged = value() === last ? unchanged + 1 : 0;
      last = value();
    }
  }

  function countPublishes(stream: Duplex, protocolVersion: Version): () => number {
    let publishes = 0;
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (packet) => {
      if (packet.cmd === 'publish') publishes += 1;
    });
    stream.on('data', (chunk) => parser.parse(chunk));
    return () => publishes;
  }

  const publish = (protocolVersion: Version) =>
    mqttPacket.generate(
      { cmd: 'publish', topic: 'fleet/dev-1/telemetry', payload: PAYLOAD, qos: 0, dup: false, retain: false },
      { protocolVersion },
    );

  it('stops reading an MQTT 5 client while aedes does not read, and loses nothing', async () => {
    const { client, socket, stream } = await bridgeWithoutBroker();
    const packet = publish(5);
    for (let i = 0; i < COUNT; i++) client.write(packet);

    await settled(() => socket.bytesRead);
    expect(socket.bytesRead).toBeLessThan(packet.length * COUNT);
    expect(stream.readableLength).toBeLessThan(stream.readableHighWaterMark + 128 * 1024);

    const publishes = countPublishes(stream, 4);
    await until(() => publishes() === COUNT, 'every publish to reach the broker side', 20_000);
  }, 30_000);

  it('holds aedes back while an MQTT 5 client does not read, and loses nothing', async () => {
    const { client, socket, stream } = await bridgeWithoutBroker();
    client.pause();
    const packet = publish(4);
    for (let i = 0; i < COUNT; i++) stream.write(packet);

    await settled(() => stream.writableLength);
    expect(stream.writableNeedDrain).toBe(true);
    expect(socket.writableLength).toBeLessThan(socket.writableHighWaterMark + 2 * packet.length);

    const publishes = countPublishes(client, 5);
    client.resume();
    await until(() => publishes() === COUNT, 'every publish to reach the client', 20_000);
  }, 30_000);
});

describe('mosquitto_pub -V mqttv5', () => {
  const run = promisify(execFile);
  const mosquittoPub = (topic: string, message: string) =>
    run(
      'mosquitto_pub',
      [
        '-V',
        'mqttv5',
        '-h',
        '127.0.0.1',
        '-p',
        String(shared.port),
        '-u',
        'dev-1',
        '-P',
        PASSWORDS['dev-1'],
      ].concat(['-i', `mosquitto-dev-1-${++clientCount}`, '-q', '1', '-t', topic, '-m', message]),
      { timeout: 10_000 },
    );

  it('publishes through the bridge', async () => {
    const ops = await connect(5, 'ops');
    await ops.subscribeAsync('fleet/#', { qos: 1 });
    const inbox = collect(ops);
    const payload = '{"ts":1700000000000,"temperature_c":21.5}';
    await mosquittoPub('fleet/dev-1/telemetry', payload);
    expect(await inbox.until(1)).toEqual([{ topic: 'fleet/dev-1/telemetry', payload, qos: 1 }]);
  });

  it('reports the reason code of a refused publish', async () => {
    const refusedBefore = shared.refused.length;
    const { stderr } = await mosquittoPub('fleet/dev-2/telemetry', '{"ts":1}');
    expect(stderr).toContain('Publish 1 failed: Not authorized.');
    expect(shared.refused.slice(refusedBefore).map(({ topic }) => topic)).toEqual(['fleet/dev-2/telemetry']);
  });
});
