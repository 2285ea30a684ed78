/**
 * Every process a benchmark starts is tracked here and ended when the benchmark is done, when it fails and when
 * the orchestrator exits, so a crashed run leaves no broker or generator behind.
 */
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export class ProcessGroup {
  readonly #children = new Set<ChildProcess>();
  /** Stops for servers started by code of their own (influxd), run by stopAll. */
  readonly #stops = new Set<() => Promise<void>>();

  constructor() {
    // The last resort: a synchronous kill when the orchestrator exits for any reason.
    process.once('exit', () => {
      for (const child of this.#children) child.kill('SIGKILL');
    });
  }

  /** Starts `command` and tracks it; stderr is kept (the last 64 KB) for error messages. */
  spawn(command: string, args: string[], options: SpawnOptions = {}): TrackedProcess {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    return this.track(child, `${command} ${args.join(' ')}`);
  }

  track(child: ChildProcess, description: string): TrackedProcess {
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return new TrackedProcess(child, description, this);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(child: ChildProcess, graceMs = 5000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Registers a stop function for a server this group did not spawn; returns the stop, run at most once. */
  adopt(stop: () => Promise<void>): () => Promise<void> {
    let once: Promise<void> | undefined;
    const wrapped = () => {
      this.#stops.delete(wrapped);
      once ??= stop();
      return once;
    };
    this.#stops.add(wrapped);
    return wrapped;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#stops].map((stop) => stop().catch(() => undefined)));
    await Promise.all([...this.#children].map((child) => this.stop(child)));
  }
}

export class TrackedProcess {
  #stderr = '';
  #stdout = '';

  constructor(
    readonly child: ChildProcess,
    readonly description: string,
    private readonly group: ProcessGroup,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-65_536);
    });
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.#stdout = (this.#stdout + text).slice(-65_536);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Resolves with the first match of each pattern on stdout; rejects if the process exits or time runs out. */
  waitForOutput(patterns: RegExp[], timeoutMs: number): Promise<RegExpMatchArray[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const matches = patterns.map((pattern) => this.#stdout.match(pattern));
        if (matches.every((m) => m !== null)) {
          done();
          resolve(matches as RegExpMatchArray[]);
        }
      };
      const onExit = () => {
        done();
        reject(new Error(`${this.description} exited early:\n${this.#stderr.slice(-2000)}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.description} printed nothing expected within ${timeoutMs} ms:\n${this.#stderr.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('exit', onExit);
      };
      this.child.stdout?.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** CPU time the process has used so far (user + system, all threads), seconds. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** Resident set size from /proc, bytes. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = status.match(/^VmRSS:\s+(\d+) kB/m);
    if (!match) throw new Error(`no VmRSS for process ${this.pid}`);
    return Number(match[1]) * 1024;
  }

  stop(graceMs?: number): Promise<void> {
    return this.group.stop(this.child, graceMs);
  }
}

/** A port that was free a moment ago, for servers that cannot be told to pick their own (mosquitto). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Resolves once a TCP connection to host:port succeeds; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, host);
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The full path of an executable on PATH (or the usual sbin folders), or null. */
export function findExecutable(name: string): string | null {
  try {
    const path = `${process.env.PATH ?? ''}:/usr/sbin:/usr/local/sbin:/sbin`;
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { env: { PATH: path }, encoding: 'utf8' }).trim() ||
      null
    );
  } catch {
    return null;
  }
}

/** The soft and hard open-file limits a child spawned from here gets. */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string) => {
    const text = execFileSync('sh', ['-c', `ulimit ${flag} -n`], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
  };
  return { soft: read('-S'), hard: read('-H') };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds of a process (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU a process used over a stretch of time. */
export interface CpuUse {
  /** CPU seconds (all threads). */
  seconds: number;
  /** Share of the wall time: 1 = one core busy throughout. */
  cores: number;
}

/** Measures the CPU each process used between `start` and `stop`. */
export class CpuMeter {
  readonly #start = new Map<string, number>();
  #startedAt = 0;

  constructor(private readonly processes: Record<string, TrackedProcess>) {}

  start(): void {
    this.#startedAt = performance.now();
    for (const [name, tracked] of Object.entries(this.processes)) this.#start.set(name, tracked.cpuSeconds());
  }

  stop(): Record<string, CpuUse> {
    const wall = (performance.now() - this.#startedAt) / 1000;
    return Object.fromEntries(
      Object.entries(this.processes).map(([name, tracked]) => {
        const seconds = tracked.cpuSeconds() - (this.#start.get(name) ?? 0);
        return [name, { seconds, cores: seconds / wall }];
      }),
    );
  }
}
