/** A single device driven from the orchestrator: a few QoS 1 publishes, each awaited until its PUBACK. */
import type { Socket } from 'node:net';
import { topics } from '../core/wire.js';
import type { DeviceLogin, Target } from './loadgen-protocol.js';
import { openMqtt, PublishEncoder } from './mqtt-wire.js';

export class BenchDevice {
  readonly #encoder: PublishEncoder;
  readonly #waiting = new Map<number, () => void>();
  #socket: Socket | null = null;
  #nextPacketId = 0;

  private constructor(readonly login: DeviceLogin) {
    this.#encoder = new PublishEncoder(topics.telemetry(login.id));
  }

  static async connect(target: Target, login: DeviceLogin): Promise<BenchDevice> {
    const device = new BenchDevice(login);
    device.#socket = await openMqtt(
      target.host,
      target.port,
      { clientId: login.id, username: login.id, password: login.token, keepalive: 0 },
      { onPuback: (packetId) => device.#waiting.get(packetId)?.() },
      10_000,
    );
    device.#socket.on('error', () => undefined);
    return device;
  }

  /** Publishes one QoS 1 message; resolves on its PUBACK, rejects after `timeoutMs`. */
  publish(payload: string, timeoutMs = 30_000): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error(`${this.login.id} is not connected`));
    this.#nextPacketId = (this.#nextPacketId % 65_535) + 1;
    const packetId = this.#nextPacketId;
    const packet = Buffer.allocUnsafe(this.#encoder.size(payload.length));
    this.#encoder.write(packet, 0, packetId, payload, payload.length);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(packetId);
        reject(new Error(`${this.login.id}: no PUBACK within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(packetId, () => {
        clearTimeout(timer);
        this.#waiting.delete(packetId);
        resolve();
      });
      socket.write(packet);
    });
  }

  close(): void {
    this.#socket?.end(Buffer.from([0xe0, 0x00])); // DISCONNECT
  }
}
