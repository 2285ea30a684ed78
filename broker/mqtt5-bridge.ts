/**
 * MQTT 5 for aedes, which speaks only 3.1 and 3.1.1: each connection's first CONNECT decides. 3.1 and 3.1.1
 * connections go to aedes as the very socket they arrived on; MQTT 5 connections go through a bridge that
 * translates every packet to 3.1.1 on the way in and back to MQTT 5 on the way out. Section numbers refer to
 * MQTT 5.0 (OASIS Standard, 2019); `MQTT-x.y.z-n` are its normative statements.
 *
 * What MQTT 5 features survive: reason codes on CONNACK, SUBACK, UNSUBACK and, for publishes this server
 * refuses, PUBACK/PUBREC; topic aliases from the client; assigned client identifiers. What is dropped: packet
 * properties (user properties, message expiry, content type, response topic, will delay) and subscription
 * options (no local, retain as published, retain handling).
 */
import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import mqtt, {
  type IConnackPacket,
  type IConnectPacket,
  type IPublishPacket,
  type Packet,
} from 'mqtt-packet';

/** Who sent a publish, as the CONNECT named it; trusted only once the broker accepted that CONNECT. */
export interface ConnectIdentity {
  /** The client identifier, the assigned one when the client sent none. */
  clientId: string;
  /** The user name the broker authenticated. */
  username?: string;
}

export interface Mqtt5BridgeOptions {
  /** The broker's publish ACL; an MQTT 5 publish it refuses never reaches aedes and is answered with 0x87. */
  authorizePublish(identity: ConnectIdentity, topic: string): boolean;
  /** Told of every MQTT 5 publish `authorizePublish` refused, e.g. to count it. */
  onRefusedPublish?(topic: string, identity: ConnectIdentity): void;
  /** How long a new connection may take to send its CONNECT, in ms; default 30 s like aedes's connectTimeout. */
  connectTimeoutMs?: number;
  /** Topic aliases an MQTT 5 client may set up per connection (§3.2.2.3.8); 0 turns them off. Default 16. */
  topicAliasMaximum?: number;
  /** Unacknowledged QoS 1/2 publishes an MQTT 5 client may have in flight (§3.2.2.3.3); best set to aedes's
   *  maxInflightInbound, which otherwise closes the connection. Default: not announced, i.e. 65,535. */
  receiveMaximum?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_TOPIC_ALIAS_MAXIMUM = 16;

const V4 = { protocolVersion: 4 };
const V5 = { protocolVersion: 5 };

/** MQTT 5 reason codes (§2.4) this bridge sends on its own. */
const Reason = {
  success: 0x00,
  disconnectWithWill: 0x04,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  notAuthorized: 0x87,
  badAuthenticationMethod: 0x8c,
  topicAliasInvalid: 0x94,
  subscriptionIdentifiersNotSupported: 0xa1,
} as const;

/** 3.1.1 CONNACK return codes 0–5 (3.1.1 §3.2.2.3) as MQTT 5 CONNACK reason codes (§3.2.2.2). */
const CONNACK_REASON_CODES = [0x00, 0x84, 0x85, 0x88, 0x86, 0x87];
/** The 3.1.1 SUBACK failure code (3.1.1 §3.9.3); refusals here come from the ACL, hence "not authorized". */
const SUBACK_FAILURE = 0x80;

/**
 * Hands `socket` to `handle` once its first CONNECT shows the protocol version: a 3.1/3.1.1 connection as the
 * socket itself, untouched; an MQTT 5 connection as a bridge stream speaking 3.1.1 towards aedes. Anything that
 * is not a CONNECT also goes to aedes untouched, which refuses it. A connection that closes or stays silent
 * before its CONNECT is destroyed without reaching `handle`.
 */
export function bridgeConnection(
  socket: Duplex,
  options: Mqtt5BridgeOptions,
  handle: (stream: Duplex) => void,
): void {
  let head = Buffer.alloc(0);
  const timer = setTimeout(() => giveUp(), options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const stopSniffing = () => {
    clearTimeout(timer);
    socket.off('readable', sniff);
    socket.off('end', giveUp);
    socket.off('close', giveUp);
    socket.off('error', giveUp);
  };
  function giveUp() {
    stopSniffing();
    socket.destroy();
  }
  function sniff() {
    for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) {
      head = Buffer.concat([head, chunk]);
      const level = protocolLevelOf(head);
      if (level === undefined) continue;
      stopSniffing();
      if (level === 5) {
        handle(new Mqtt5Bridge(socket, head, options));
      } else {
        socket.unshift(head);
        handle(socket);
      }
      return;
    }
  }
  socket.on('readable', sniff);
  socket.on('end', giveUp);
  socket.on('close', giveUp);
  socket.on('error', giveUp);
}

/**
 * The protocol level a CONNECT at the start of `head` asks for (§3.1.2.2); `undefined` while more bytes are
 * needed; `null` when `head` does not start with a CONNECT.
 */
function protocolLevelOf(head: Buffer): number | null | undefined {
  if (head.length === 0) return undefined;
  if (head[0] !== 0x10) return null; // CONNECT, no flags (§3.1.1)
  let offset = 1;
  // Remaining Length, a Variable Byte Integer of at most 4 bytes (§1.5.5)
  while (offset < head.length && offset <= 4 && (head[offset] & 0x80) !== 0) offset++;
  if (offset > 4) return null;
  offset++;
  // Protocol Name: 'MQTT' (3.1.1, 5) or 'MQIsdp' (3.1), a 2-byte length then the characters (§3.1.2.1)
  if (head.length < offset + 2) return undefined;
  const nameLength = head.readUInt16BE(offset);
  if (nameLength > 6) return null;
  const levelAt = offset + 2 + nameLength;
  return head.length > levelAt ? head[levelAt] : undefined;
}

/**
 * One MQTT 5 connection seen by aedes as 3.1.1. Its readable side carries the client's packets to aedes, its
 * writable side takes aedes's packets to the client. Backpressure both ways: the client is read only while
 * aedes reads on, and aedes's writes complete only once the client has drained.
 */
class Mqtt5Bridge extends Duplex {
  readonly #client: Duplex;
  readonly #options: Mqtt5BridgeOptions;
  readonly #topicAliasMaximum: number;
  /** Learns MQTT 5 from the CONNECT it parses first. */
  readonly #fromClient = mqtt.parser();
  readonly #fromBroker = mqtt.parser(V4);
  /** Set by the client's CONNECT; trusted once the broker accepted it. */
  #identity: ConnectIdentity | undefined;
  #connackProperties: NonNullable<IConnackPacket['properties']> = {};
  #accepted = false;
  /** Packets that followed the CONNECT in the same read, kept back until the broker accepted the CONNECT. */
  #held: Packet[] = [];
  #brokerReads = true;
  #endedTowardsBroker = false;
  #pumping = false;
  /** PINGRESPs aedes owes for PINGREQs the bridge sent in place of refused publishes. */
  #pingrespsToSwallow = 0;
  readonly #topicAliases = new Map<number, string>();
  /** Topic filter counts of pending UNSUBSCRIBEs: an MQTT 5 UNSUBACK has a reason code per filter. */
  readonly #unsubscribeSizes = new Map<number, number>();

  constructor(client: Duplex, head: Buffer, options: Mqtt5BridgeOptions) {
    super({ allowHalfOpen: false });
    this.#client = client;
    this.#options = options;
    this.#topicAliasMaximum = options.topicAliasMaximum ?? DEFAULT_TOPIC_ALIAS_MAXIMUM;
    this.#fromClient.on('packet', (packet) => this.#onClientPacket(packet));
    this.#fromClient.on('error', () => this.#refuse(Reason.malformedPacket));
    this.#fromBroker.on('packet', (packet) => this.#onBrokerPacket(packet));
    this.#fromBroker.on('error', (error) => this.destroy(error));
    client.on('readable', () => this.#pump());
    client.on('drain', () => this.#pump());
    client.on('end', () => this.#endTowardsBroker());
    client.on('error', (error) => this.destroy(error));
    client.on('close', () => this.destroy());
    this.#fromClient.parse(head);
  }

  override _read(): void {
    this.#brokerReads = true;
    this.#pump();
  }

  // One chunk at a time, no _writev: a batch of everything aedes queued would reach the client all at once.
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#fromBroker.parse(chunk);
    this.#whenClientDrained(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#client.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#fromClient.removeAllListeners('packet');
    this.#fromBroker.removeAllListeners('packet');
    this.#held = [];
    const client = this.#client;
    // A clean close still delivers what is queued, such as a CONNACK refusing the client; a client that does
    // not read its data, or a broken one, loses it.
    if (error || client.writableNeedDrain) client.destroy();
    else client.end(() => client.destroy());
    callback(error);
  }

  #whenClientDrained(callback: () => void): void {
    if (this.#client.writableNeedDrain) this.#client.once('drain', () => callback());
    else callback();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    while (this.#mayReadClient()) {
      const chunk: Buffer | null = this.#client.read();
      if (chunk === null) break;
      this.#fromClient.parse(chunk);
    }
    this.#pumping = false;
  }

  #mayReadClient(): boolean {
    // Until the broker accepts the CONNECT, nothing else may reach it or be judged by the ACL.
    const awaitingConnack = this.#identity !== undefined && !this.#accepted;
    // The client not reading our answers (e.g. refusals) is a reason to stop reading its requests.
    return !this.destroyed && this.#brokerReads && !awaitingConnack && !this.#client.writableNeedDrain;
  }

  #toBroker(packet: Packet): void {
    if (this.destroyed || this.#endedTowardsBroker) return;
    if (!this.push(mqtt.generate(packet, V4))) this.#brokerReads = false;
  }

  /** Ends the stream aedes reads without a DISCONNECT, which aedes treats as a lost client: the will goes out. */
  #endTowardsBroker(): void {
    if (this.#endedTowardsBroker) return;
    this.#endedTowardsBroker = true;
    this.push(null);
  }

  #toClient(packet: Packet): void {
    if (this.#client.writable) this.#client.write(mqtt.generate(packet, V5));
  }

  /** Closes the connection with `reasonCode`: in a CONNACK if none was sent yet, else in a DISCONNECT (§4.13). */
  #refuse(reasonCode: number): void {
    if (this.destroyed) return;
    this.#toClient(
      this.#accepted
        ? { cmd: 'disconnect', reasonCode }
        : { cmd: 'connack', reasonCode, sessionPresent: false },
    );
    this.destroy();
  }

  #onClientPacket(packet: Packet): void {
    if (this.destroyed) return;
    if (packet.cmd === 'connect') {
      this.#onConnect(packet);
    } else if (packet.cmd === 'auth') {
      // AUTH only follows a CONNECT that named an authentication method, and those are refused (§4.12).
      this.#refuse(Reason.protocolError);
    } else if (!this.#accepted) {
      this.#held.push(packet);
    } else if (packet.cmd === 'publish') {
      this.#onPublish(packet);
    } else if (packet.cmd === 'disconnect' && packet.reasonCode === Reason.disconnectWithWill) {
      // 0x04 asks the server to publish the will all the same (§3.14.2.1).
      this.#endTowardsBroker();
    } else {
      if (packet.cmd === 'unsubscribe') {
        this.#unsubscribeSizes.set(packet.messageId ?? 0, packet.unsubscriptions.length);
      }
      const translated = clientPacketAsV4(packet);
      if (typeof translated === 'number') this.#refuse(translated);
      else this.#toBroker(translated);
    }
  }

  #onConnect(packet: IConnectPacket): void {
    // [MQTT-3.1.0-2] a second CONNECT is a Protocol Error; [MQTT-4.12.0-1] enhanced authentication is not offered
    if (this.#identity !== undefined || packet.properties?.authenticationMethod !== undefined) {
      this.#refuse(this.#identity ? Reason.protocolError : Reason.badAuthenticationMethod);
      return;
    }
    const properties: NonNullable<IConnackPacket['properties']> = {
      // aedes matches neither subscription identifiers nor shared subscriptions (§3.2.2.3.12, §3.2.2.3.13)
      subscriptionIdentifiersAvailable: false,
      sharedSubscriptionAvailable: false,
    };
    if (this.#topicAliasMaximum > 0) properties.topicAliasMaximum = this.#topicAliasMaximum;
    if (this.#options.receiveMaximum !== undefined) properties.receiveMaximum = this.#options.receiveMaximum;

    // [MQTT-3.2.2-16] an empty client identifier gets one assigned, and the client is told which
    const clientId = packet.clientId || `mqtt5-${randomUUID()}`;
    if (!packet.clientId) properties.assignedClientIdentifier = clientId;

    // 3.1.1 knows sessions that end with the connection (clean) and sessions that never expire. A session
    // outlives the connection only when the client asked for both an expiry and the existing session
    // (Clean Start 0, §3.1.2.4); when it asked for an expiry on a fresh session, it is told there is none.
    const expiry = packet.properties?.sessionExpiryInterval ?? 0;
    const clean = packet.clean !== false || expiry === 0;
    if (clean && expiry > 0) properties.sessionExpiryInterval = 0;

    this.#identity = { clientId, username: packet.username };
    this.#connackProperties = properties;
    const will = packet.will && {
      topic: packet.will.topic,
      payload: packet.will.payload,
      qos: packet.will.qos,
      retain: packet.will.retain,
    };
    this.#toBroker({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId,
      clean,
      keepalive: packet.keepalive,
      username: packet.username,
      password: packet.password,
      will,
    });
  }

  #onPublish(packet: IPublishPacket): void {
    const topic = this.#topicOf(packet);
    if (topic === undefined) return;
    const identity = this.#identity!;
    if (!this.#options.authorizePublish(identity, topic)) {
      this.#options.onRefusedPublish?.(topic, identity);
      // [MQTT-3.1.2-22] the client is alive though aedes never sees this publish: a PINGREQ tells its keep-alive.
      this.#toBroker({ cmd: 'pingreq' });
      this.#pingrespsToSwallow += 1;
      // A refusal ends a QoS 2 flow at the PUBREC: the client sends no PUBREL (§4.3.3).
      const messageId = packet.messageId ?? 0;
      if (packet.qos === 1) this.#toClient({ cmd: 'puback', messageId, reasonCode: Reason.notAuthorized });
      if (packet.qos === 2) this.#toClient({ cmd: 'pubrec', messageId, reasonCode: Reason.notAuthorized });
      return;
    }
    this.#toBroker({
      cmd: 'publish',
      topic,
      payload: packet.payload,
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      messageId: packet.messageId,
    });
  }

  /** The topic of a PUBLISH after resolving its Topic Alias (§3.3.2.3.4); `undefined` if the client was refused. */
  #topicOf(packet: IPublishPacket): string | undefined {
    const alias = packet.properties?.topicAlias;
    if (alias === undefined) return packet.topic;
    // [MQTT-3.2.2-17] [MQTT-3.2.2-18] aliases stay within the announced maximum, 0 is never one
    if (alias === 0 || alias > this.#topicAliasMaximum) {
      this.#refuse(Reason.topicAliasInvalid);
      return undefined;
    }
    if (packet.topic !== '') {
      this.#topicAliases.set(alias, packet.topic);
      return packet.topic;
    }
    const topic = this.#topicAliases.get(alias);
    // An alias used before it was set up is a Protocol Error (§3.3.4)
    if (topic === undefined) this.#refuse(Reason.protocolError);
    return topic;
  }

  #onBrokerPacket(packet: Packet): void {
    if (packet.cmd === 'connack') {
      this.#onConnack(packet);
    } else if (packet.cmd === 'pingresp' && this.#pingrespsToSwallow > 0) {
      this.#pingrespsToSwallow -= 1;
    } else if (packet.cmd === 'unsuback') {
      const messageId = packet.messageId ?? 0;
      const filters = this.#unsubscribeSizes.get(messageId) ?? 1;
      this.#unsubscribeSizes.delete(messageId);
      // [MQTT-3.11.3-1] one reason code per topic filter; aedes does not say whether a subscription existed
      this.#toClient({ cmd: 'unsuback', messageId, granted: new Array(filters).fill(Reason.success) });
    } else {
      const translated = brokerPacketAsV5(packet);
      if (translated) this.#toClient(translated);
      else this.destroy(new Error(`aedes sent a ${packet.cmd} packet, which a server never sends`));
    }
  }

  #onConnack(packet: IConnackPacket): void {
    const reasonCode = CONNACK_REASON_CODES[packet.returnCode ?? Reason.success] ?? Reason.unspecifiedError;
    const accepted = reasonCode === Reason.success;
    this.#toClient({
      cmd: 'connack',
      sessionPresent: packet.sessionPresent,
      reasonCode,
      properties: accepted ? this.#connackProperties : undefined,
    });
    if (!accepted) return; // aedes closes the connection
    this.#accepted = true;
    for (const held of this.#held.splice(0)) this.#onClientPacket(held);
    this.#pump();
  }
}

/** A client packet other than CONNECT, AUTH and PUBLISH as 3.1.1, or the reason code to close the connection with. */
function clientPacketAsV4(packet: Packet): Packet | number {
  switch (packet.cmd) {
    case 'subscribe':
      // Announced as unsupported in the CONNACK, so sending one is an error (§3.2.2.3.12).
      if (packet.properties?.subscriptionIdentifier !== undefined) {
        return Reason.subscriptionIdentifiersNotSupported;
      }
      return {
        cmd: 'subscribe',
        messageId: packet.messageId,
        subscriptions: packet.subscriptions.map(({ topic, qos }) => ({ topic, qos })),
      };
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: packet.messageId, unsubscriptions: packet.unsubscriptions };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { cmd: packet.cmd, messageId: packet.messageId } as Packet;
    case 'pingreq':
      return { cmd: 'pingreq' };
    case 'disconnect':
      return { cmd: 'disconnect' };
    default:
      // Server-to-client packets have no business here.
      return Reason.protocolError;
  }
}

/** A broker packet other than CONNACK and UNSUBACK as MQTT 5; `undefined` for packets a server never sends. */
function brokerPacketAsV5(packet: Packet): Packet | undefined {
  switch (packet.cmd) {
    case 'suback':
      return {
        cmd: 'suback',
        messageId: packet.messageId,
        granted: (packet.granted as number[]).map((code) =>
          code === SUBACK_FAILURE ? Reason.notAuthorized : code,
        ),
      };
    case 'publish':
      return {
        cmd: 'publish',
        topic: packet.topic,
        payload: packet.payload,
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        messageId: packet.messageId,
      };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { cmd: packet.cmd, messageId: packet.messageId, reasonCode: Reason.success } as Packet;
    case 'pingresp':
      return { cmd: 'pingresp' };
    default:
      return undefined;
  }
}
