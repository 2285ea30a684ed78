/**
 * `npm run bench`: runs the benchmarks, prints a table for each and writes their JSON to --out. Servers and the
 * load generator run as separate processes, all ended when the run ends, however it ends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectionsBenchmark } from './connections.js';
import { ingestBenchmark } from './ingest.js';
import { latencyBenchmark } from './latency.js';
import { fileLimits, ProcessGroup } from './processes.js';
import { qualityBenchmark } from './quality.js';
import { type BenchmarkReport, formatMarkdown, formatTable, machineInfo, medianRows } from './report.js';
import { rulesBenchmark } from './rules.js';
import { type Mode, SCALES } from './scale.js';
import { storeBenchmark } from './store.js';
import type { Benchmark, Row } from './types.js';

const BENCHMARKS: Benchmark[] = [
  ingestBenchmark,
  latencyBenchmark,
  storeBenchmark,
  rulesBenchmark,
  connectionsBenchmark,
  qualityBenchmark,
];

const USAGE = `usage: npm run bench -- [options]    (or: node dist/bench/run.js [options])

  --quick          CI-sized run, a minute or two (the default)
  --full           the sizes the targets are stated at (many minutes)
  --smoke          seconds; proves every benchmark still runs and writes valid JSON
  --only NAMES     comma-separated subset of: ${BENCHMARKS.map((b) => b.name).join(', ')}
  --repeats N      run each benchmark N times and report the medians (default 1)
  --out DIR        where results go: <name>.json per benchmark, run.json, results.md (default .bench-out)
  --cpu-prof       start the Forewarn servers under --cpu-prof; profiles land in <out>/profiles/<benchmark>
  --seed N         seed of the generated readings (default 1)
  --help           this text`;

interface Options {
  mode: Mode;
  only: Benchmark[];
  repeats: number;
  outDir: string;
  cpuProfile: boolean;
  seed: number;
}

function parseOptions(argv: string[]): Options | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        smoke: { type: 'boolean' },
        only: { type: 'string' },
        repeats: { type: 'string' },
        out: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    return `${(error as Error).message}\n\n${USAGE}`;
  }
  if (values.help) return USAGE;
  const modes = (['smoke', 'quick', 'full'] as const).filter((m) => values[m]);
  if (modes.length > 1)
    return `choose one of --smoke, --quick, --full (got ${modes.map((m) => `--${m}`).join(', ')})`;
  const names = typeof values.only === 'string' ? values.only.split(',').map((n) => n.trim()) : [];
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    return `unknown benchmark ${unknown.join(', ')}; choose from ${BENCHMARKS.map((b) => b.name).join(', ')}`;
  }
  const repeats = Number(values.repeats ?? 1);
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 50)
    return '--repeats takes a whole number from 1 to 50';
  const seed = Number(values.seed ?? 1);
  if (!Number.isInteger(seed)) return '--seed takes a whole number';
  return {
    mode: modes[0] ?? 'quick',
    only: names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS,
    repeats,
    outDir: resolve(typeof values.out === 'string' ? values.out : '.bench-out'),
    cpuProfile: values['cpu-prof'] === true,
    seed,
  };
}

async function runBenchmark(benchmark: Benchmark, options: Options, group: ProcessGroup, workRoot: string) {
  const started = Date.now();
  const base = {
    name: benchmark.name,
    title: benchmark.title,
    repeats: options.repeats,
    columns: benchmark.columns,
    loadAverageAtStart: loadavg()[0],
  };
  const progress = (message: string) => process.stderr.write(`[${benchmark.name}] ${message}\n`);
  const unavailable = await benchmark.unavailable?.();
  if (unavailable) {
    return {
      ...base,
      status: 'skipped',
      reason: unavailable,
      durationMs: 0,
      rows: [],
      runs: [],
      targets: [],
      notes: [],
      details: [],
    } satisfies BenchmarkReport;
  }
  const runs: Row[][] = [];
  const failures: string[] = [];
  const notes = new Set<string>();
  const details: Array<Record<string, unknown>> = [];
  try {
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      if (options.repeats > 1) progress(`repeat ${repeat} of ${options.repeats}`);
      const workDir = join(workRoot, `${benchmark.name}-${repeat}`);
      mkdirSync(workDir, { recursive: true });
      try {
        const measurement = await benchmark.run({
          scale: SCALES[options.mode],
          group,
          workDir,
          outDir: options.outDir,
          serverNodeFlags: options.cpuProfile
            ? ['--cpu-prof', `--cpu-prof-dir=${join(options.outDir, 'profiles', benchmark.name)}`]
            : [],
          seed: options.seed,
          progress,
        });
        runs.push(measurement.rows);
        failures.push(...(measurement.failures ?? []));
        for (const note of measurement.notes ?? []) notes.add(note);
        details.push(measurement.details ?? {});
      } finally {
        await group.stopAll();
        rmSync(workDir, { recursive: true, force: true });
      }
    }
  } catch (error) {
    const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return {
      ...base,
      status: 'failed',
      reason,
      durationMs: Date.now() - started,
      rows: medianRows(runs),
      runs,
      targets: [],
      notes: [...notes],
      details,
    } satisfies BenchmarkReport;
  }
  const rows = medianRows(runs);
  return {
    ...base,
    status: failures.length > 0 ? 'failed' : 'ok',
    ...(failures.length > 0 ? { reason: failures.join('\n') } : {}),
    durationMs: Date.now() - started,
    rows,
    runs,
    targets: benchmark.targets?.(rows) ?? [],
    notes: [...notes],
    details,
  } satisfies BenchmarkReport;
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (typeof options === 'string') {
    const help = options === USAGE;
    (help ? console.log : console.error)(options);
    return help ? 0 : 2;
  }
  const group = new ProcessGroup();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping every benchmark process\n`);
      group.stopAll().finally(() => process.exit(130));
    });
  }
  mkdirSync(options.outDir, { recursive: true });
  const workRoot = mkdtempSync(join(tmpdir(), 'forewarn-bench-'));
  const meta = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    openFiles: fileLimits(),
    command: `node dist/bench/run.js ${argv.join(' ')}`.trim(),
    mode: options.mode,
    repeats: options.repeats,
    seed: options.seed,
  };
  console.log(
    `forewarn bench, ${options.mode} run, ${meta.date}\n${meta.machine.cores} cores (${meta.machine.cpu}), ` +
      `Node ${meta.machine.node}, ${meta.machine.os}\n`,
  );
  const benchmarks: Record<string, BenchmarkReport> = {};
  try {
    for (const benchmark of options.only) {
      const report = await runBenchmark(benchmark, options, group, workRoot);
      benchmarks[benchmark.name] = report;
      writeFileSync(
        join(options.outDir, `${benchmark.name}.json`),
        `${JSON.stringify({ ...meta, ...report }, null, 2)}\n`,
      );
      console.log(`${formatTable(report)}\n`);
    }
  } finally {
    await group.stopAll();
    rmSync(workRoot, { recursive: true, force: true });
  }
  writeFileSync(join(options.outDir, 'run.json'), `${JSON.stringify({ ...meta, benchmarks }, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'results.md'), formatMarkdown(meta, Object.values(benchmarks)));
  console.log(`results: ${options.outDir}`);
  return Object.values(benchmarks).some((b) => b.status === 'failed') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
