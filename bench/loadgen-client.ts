/** The orchestrator's side of a load generator process: fork it, send commands, await typed replies. */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type {
  ConnectCommand,
  LoadgenCommand,
  LoadgenReplies,
  LoadgenResponse,
  PublishCommand,
  SettleCommand,
  SubscribeCommand,
} from './loadgen-protocol.js';
import type { ProcessGroup, TrackedProcess } from './processes.js';

const LOADGEN = join(import.meta.dirname, 'loadgen.js');

export class Loadgen {
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve(reply: unknown): void; reject(error: Error): void }>();

  private constructor(readonly process: TrackedProcess) {
    process.child.on('message', (message: LoadgenResponse) => {
      const waiter = this.#waiting.get(message.id);
      if (!waiter) return;
      this.#waiting.delete(message.id);
      if (message.ok) waiter.resolve(message.reply);
      else waiter.reject(new Error(`load generator: ${message.error}`));
    });
    process.child.once('exit', (code, signal) => {
      for (const waiter of this.#waiting.values()) {
        waiter.reject(
          new Error(`load generator exited (${signal ?? code}):\n${process.stderr.slice(-2000)}`),
        );
      }
      this.#waiting.clear();
    });
  }

  /**
   * Forks a generator. `openFiles` raises its descriptor limit through the shell when one process must hold more
   * connections than the inherited soft limit allows.
   */
  static start(group: ProcessGroup, openFiles?: number): Loadgen {
    const args = openFiles
      ? {
          execPath: '/bin/sh',
          execArgv: ['-c', `ulimit -n ${openFiles} && exec "${process.execPath}" "$0" "$@"`],
        }
      : {};
    const child = fork(LOADGEN, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], ...args });
    return new Loadgen(group.track(child, 'load generator'));
  }

  connect(command: Omit<ConnectCommand, 'cmd'>): Promise<LoadgenReplies['connect']> {
    return this.#request({ cmd: 'connect', ...command }, command.timeoutMs + 10_000);
  }

  publish(command: Omit<PublishCommand, 'cmd'>): Promise<LoadgenReplies['publish']> {
    return this.#request({ cmd: 'publish', ...command }, command.durationMs + command.drainMs + 30_000);
  }

  subscribe(command: Omit<SubscribeCommand, 'cmd'>): Promise<LoadgenReplies['subscribe']> {
    return this.#request({ cmd: 'subscribe', ...command }, 15_000);
  }

  settle(command: Omit<SettleCommand, 'cmd'>): Promise<LoadgenReplies['settle']> {
    return this.#request({ cmd: 'settle', ...command }, command.timeoutMs + 10_000);
  }

  disconnect(): Promise<LoadgenReplies['disconnect']> {
    return this.#request({ cmd: 'disconnect' }, 30_000);
  }

  stop(): Promise<void> {
    return this.process.stop(2000);
  }

  #request<T>(command: LoadgenCommand, timeoutMs: number): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`load generator did not answer '${command.cmd}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.child.send({ id, command });
    });
  }
}
