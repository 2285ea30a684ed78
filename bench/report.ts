/** Turns results into the printed tables and the JSON files, and folds repeats into their medians. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { median } from './histogram.js';
import type { Cell, Column, Row, TargetCheck } from './types.js';

/** Everything one benchmark leaves behind, as written to <out>/<name>.json. */
export interface BenchmarkReport {
  name: string;
  title: string;
  /** 'ok', 'skipped' (a prerequisite is missing) or 'failed' (it threw). */
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  repeats: number;
  durationMs: number;
  /** The machine's 1-minute load average when the benchmark started: above the core count, others were busy too. */
  loadAverageAtStart: number;
  columns: Column[];
  /** Medians over the repeats (numbers), first repeat's text. */
  rows: Row[];
  /** Every repeat's rows, for anyone who wants the spread. */
  runs: Row[][];
  targets: TargetCheck[];
  notes: string[];
  details: Array<Record<string, unknown>>;
}

export interface MachineInfo {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  const model =
    readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpus()[0]?.model ?? '?';
  let os: string = process.platform;
  try {
    os = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)/m)?.[1] ?? os;
  } catch {
    // not Linux, or a minimal image: the platform name will do
  }
  let cores = cpus().length;
  try {
    cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cores;
  } catch {
    // nproc missing: what Node sees
  }
  return { cores, cpu: model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, os };
}

/** Rows of several repeats, position by position: numbers become their median, text stays as first seen. */
export function medianRows(runs: Row[][]): Row[] {
  const first = runs[0] ?? [];
  return first.map((row, index) => {
    const merged: Row = {};
    for (const [key, value] of Object.entries(row)) {
      if (typeof value !== 'number') {
        merged[key] = value;
        continue;
      }
      merged[key] = median(
        runs.map((run) => run[index]?.[key]).map((v) => (typeof v === 'number' ? v : null)),
      );
    }
    return merged;
  });
}

function formatCell(value: Cell | undefined, column: Column): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', {
    minimumFractionDigits: column.digits ?? 0,
    maximumFractionDigits: column.digits ?? 0,
  });
}

/** A plain-text table, right-aligned numbers, as printed after each benchmark. */
export function formatTable(report: BenchmarkReport): string {
  const lines = [
    `== ${report.title} (${report.name}) ==`,
    `load average at start: ${report.loadAverageAtStart.toFixed(2)}`,
  ];
  if (report.status !== 'ok') lines.push(`${report.status}: ${report.reason}`);
  if (report.rows.length > 0) {
    const header = report.columns.map((c) => c.label);
    const body = report.rows.map((row) => report.columns.map((c) => formatCell(row[c.key], c)));
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
    const numeric = report.columns.map((c) => report.rows.some((row) => typeof row[c.key] === 'number'));
    const render = (cells: string[]) =>
      cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
    lines.push(render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(render));
  }
  for (const target of report.targets) {
    const verdict = target.met === null ? 'n/a   ' : target.met ? 'met   ' : 'MISSED';
    const measured =
      target.measured === null ? '–' : Number(target.measured.toPrecision(4)).toLocaleString('en-US');
    lines.push(`target ${verdict} ${target.what}: ${measured} (target ${target.target})`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** The run as Markdown, one section per benchmark, for BENCHMARKS.md. */
export function formatMarkdown(
  meta: { date: string; machine: MachineInfo; command: string; mode: string; repeats: number },
  reports: readonly BenchmarkReport[],
): string {
  const { machine } = meta;
  const lines = [
    `Run ${meta.date} (${meta.mode}, median of ${meta.repeats} repeat${meta.repeats === 1 ? '' : 's'}) — ` +
      `${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}; ` +
      `\`${meta.command}\``,
  ];
  for (const report of reports) {
    lines.push(
      '',
      `### ${report.title}`,
      '',
      `Load average at start: ${report.loadAverageAtStart.toFixed(2)}.`,
    );
    if (report.status !== 'ok') lines.push('', `**${report.status}**: ${report.reason?.split('\n')[0]}`);
    if (report.rows.length > 0) {
      lines.push(
        '',
        `| ${report.columns.map((c) => c.label).join(' | ')} |`,
        `|${report.columns.map((c) => (report.rows.some((r) => typeof r[c.key] === 'number') ? '---:' : '---')).join('|')}|`,
        ...report.rows.map(
          (row) => `| ${report.columns.map((c) => formatCell(row[c.key], c)).join(' | ')} |`,
        ),
      );
    }
    if (report.targets.length > 0) {
      lines.push('', '| target | measured | verdict |', '|---|---:|---|');
      for (const t of report.targets) {
        const measured =
          t.measured === null ? '–' : Number(t.measured.toPrecision(4)).toLocaleString('en-US');
        lines.push(
          `| ${t.what} ${t.target} | ${measured} | ${t.met === null ? 'n/a' : t.met ? 'met' : '**missed**'} |`,
        );
      }
    }
    if (report.notes.length > 0) lines.push('', ...report.notes.map((note) => `- ${note}`));
  }
  return `${lines.join('\n')}\n`;
}
