import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Config } from '../core/config.js';
import { listen } from '../core/listen.js';

export interface MqttListeners {
  tcpPort: number;
  tlsPort: number | undefined;
  /**
   * Stops accepting new connections at once; existing ones stay until the broker closes them. The promise
   * resolves when the last connection is gone, so await it only after closing the broker.
   */
  stopAccepting(): Promise<void>;
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** MQTT over TCP, optionally TLS, and WebSocket at /mqtt on the HTTP server; each connection goes to `handle`. */
export async function startMqttListeners(
  config: Config,
  httpServer: HttpServer,
  handle: (stream: Duplex) => void,
): Promise<MqttListeners> {
  const servers: Server[] = [];
  const tcp = createServer((socket) => handle(socket));
  servers.push(tcp);
  const tcpPort = await listen(tcp, config.mqtt.port, config.host);

  let tlsPort: number | undefined;
  if (config.mqtt.tls) {
    const tls = createTlsServer(
      { cert: readFileSync(config.mqtt.tls.certFile), key: readFileSync(config.mqtt.tls.keyFile) },
      (socket) => handle(socket),
    );
    servers.push(tls);
    tlsPort = await listen(tls, config.mqtt.tls.port, config.host);
  }

  let wss: WebSocketServer | undefined;
  if (config.mqtt.websocket) {
    wss = new WebSocketServer({ noServer: true });
    httpServer.on('upgrade', (request, socket, head) => {
      if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/mqtt') {
        socket.destroy();
        return;
      }
      wss?.handleUpgrade(request, socket, head, (ws) => handle(createWebSocketStream(ws)));
    });
  }

  return {
    tcpPort,
    tlsPort,
    stopAccepting() {
      wss?.close();
      return Promise.all(servers.map(closeServer)).then(() => undefined);
    },
  };
}
