/**
 * Just enough MQTT 3.1.1 to drive load: CONNECT, PUBLISH, SUBSCRIBE out; CONNACK, PUBACK, SUBACK, PUBLISH in.
 * A general client spends more CPU per message than the broker under test on a two-core machine, so the load
 * generator encodes packets itself and parses only what it reads. Section numbers refer to the MQTT 3.1.1 spec.
 */
import { connect as netConnect, type Socket } from 'node:net';

const PROTOCOL_NAME = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]); // "MQTT", 3.1.1 section 3.1.2.1
const PROTOCOL_LEVEL = 4;

export const PACKET = {
  connack: 2,
  publish: 3,
  puback: 4,
  suback: 9,
  pingresp: 13,
} as const;

/** Remaining length, 3.1.1 section 2.2.3: 7 bits a byte, high bit means more. */
function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function utf8Field(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const field = Buffer.allocUnsafe(2 + body.length);
  field.writeUInt16BE(body.length, 0);
  body.copy(field, 2);
  return field;
}

export interface ConnectOptions {
  clientId: string;
  username?: string;
  password?: string;
  /** Seconds; 0 turns keep-alive off, which idle-connection benchmarks want. */
  keepalive: number;
}

export function encodeConnect(options: ConnectOptions): Buffer {
  let flags = 0x02; // clean session
  const payload = [utf8Field(options.clientId)];
  if (options.username !== undefined) {
    flags |= 0x80;
    payload.push(utf8Field(options.username));
  }
  if (options.password !== undefined) {
    flags |= 0x40;
    payload.push(utf8Field(options.password));
  }
  const variable = Buffer.from([
    ...PROTOCOL_NAME,
    PROTOCOL_LEVEL,
    flags,
    options.keepalive >> 8,
    options.keepalive & 0xff,
  ]);
  const body = Buffer.concat([variable, ...payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export function encodeSubscribe(packetId: number, filter: string, qos: 0 | 1): Buffer {
  const body = Buffer.concat([
    Buffer.from([packetId >> 8, packetId & 0xff]),
    utf8Field(filter),
    Buffer.from([qos]),
  ]);
  return Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]);
}

/**
 * Encodes QoS 1 PUBLISH packets to one topic. The topic part is encoded once; each packet is then a header,
 * that topic, a packet id and the payload, written straight into one buffer.
 */
export class PublishEncoder {
  readonly #topic: Buffer;

  constructor(topic: string) {
    this.#topic = utf8Field(topic);
  }

  /** Bytes `payload` will take as a packet, to size a buffer holding many. */
  size(payloadBytes: number): number {
    const remaining = this.#topic.length + 2 + payloadBytes;
    return 1 + remainingLength(remaining).length + remaining;
  }

  /** Writes one packet at `offset` and returns the offset after it. */
  write(target: Buffer, offset: number, packetId: number, payload: string, payloadBytes: number): number {
    target[offset++] = 0x32; // PUBLISH, QoS 1, 3.1.1 section 3.3.1
    let length = this.#topic.length + 2 + payloadBytes;
    do {
      let byte = length % 128;
      length = Math.floor(length / 128);
      if (length > 0) byte |= 0x80;
      target[offset++] = byte;
    } while (length > 0);
    offset += this.#topic.copy(target, offset);
    target[offset++] = packetId >> 8;
    target[offset++] = packetId & 0xff;
    return offset + target.write(payload, offset, 'latin1');
  }
}

export interface PacketHandlers {
  onConnack?(returnCode: number): void;
  onPuback?(packetId: number): void;
  onSuback?(): void;
  /** Inbound PUBLISH: the payload is a view into the socket's buffer, valid only during the call. */
  onPublish?(payload: Buffer, qos: number): void;
}

/** Splits a byte stream into packets and dispatches the ones the generator cares about. */
export class PacketReader {
  #pending: Buffer | null = null;

  constructor(private readonly handlers: PacketHandlers) {}

  push(chunk: Buffer): void {
    const data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = null;
    let offset = 0;
    while (offset < data.length) {
      const start = offset;
      if (data.length - offset < 2) break;
      const type = data[offset] >> 4;
      const qos = (data[offset] >> 1) & 0x03;
      let length = 0;
      let multiplier = 1;
      let cursor = offset + 1;
      let complete = false;
      while (cursor < data.length) {
        const byte = data[cursor++];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || cursor + length > data.length) {
        offset = start;
        break;
      }
      this.#dispatch(type, qos, data, cursor, length);
      offset = cursor + length;
    }
    if (offset < data.length) this.#pending = Buffer.from(data.subarray(offset));
  }

  #dispatch(type: number, qos: number, data: Buffer, at: number, length: number): void {
    const { handlers } = this;
    if (type === PACKET.puback) handlers.onPuback?.((data[at] << 8) | data[at + 1]);
    else if (type === PACKET.publish) {
      const topicLength = (data[at] << 8) | data[at + 1];
      const payloadAt = at + 2 + topicLength + (qos > 0 ? 2 : 0);
      handlers.onPublish?.(data.subarray(payloadAt, at + length), qos);
    } else if (type === PACKET.connack) handlers.onConnack?.(data[at + 1]);
    else if (type === PACKET.suback) handlers.onSuback?.();
  }
}

/** Opens a TCP connection and completes the MQTT handshake; rejects on refusal or after `timeoutMs`. */
export function openMqtt(
  host: string,
  port: number,
  options: ConnectOptions,
  handlers: PacketHandlers,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true });
    const timer = setTimeout(() => fail(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const reader = new PacketReader({
      ...handlers,
      onConnack(returnCode) {
        clearTimeout(timer);
        if (returnCode !== 0)
          return fail(new Error(`CONNACK refused the connection (return code ${returnCode})`));
        socket.off('error', fail);
        resolve(socket);
      },
    });
    socket.on('data', (chunk) => reader.push(chunk));
    socket.once('error', fail);
    socket.once('connect', () => socket.write(encodeConnect(options)));
  });
}
