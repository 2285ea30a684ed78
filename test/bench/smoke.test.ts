import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const RUNNER = join(import.meta.dirname, '../../dist/bench/run.js');
const BENCHMARKS = ['ingest', 'latency', 'store', 'rules', 'connections', 'quality'];

describe('npm run bench -- --smoke', () => {
  const out = mkdtempSync(join(tmpdir(), 'forewarn-bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every benchmark to the end and writes their results as JSON', { timeout: 150_000 }, async () => {
    const { stdout } = await run(process.execPath, [RUNNER, '--smoke', '--out', out], {
      timeout: 140_000,
      maxBuffer: 16 * 1024 * 1024,
    });

    const summary = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(summary).toMatchObject({ mode: 'smoke', repeats: 1, machine: { cores: expect.any(Number) } });
    expect(Object.keys(summary.benchmarks).sort()).toEqual([...BENCHMARKS].sort());
    for (const name of BENCHMARKS) {
      const report = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8'));
      expect(report, name).toMatchObject({
        name,
        status: expect.stringMatching(/^(ok|skipped)$/),
        columns: expect.any(Array),
        rows: expect.any(Array),
        targets: expect.any(Array),
      });
      if (report.status === 'ok') expect(report.rows.length, name).toBeGreaterThan(0);
      expect(stdout).toContain(`(${name}) ==`);
    }
  });
});
