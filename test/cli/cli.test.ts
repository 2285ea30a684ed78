import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestPlatform, type TestPlatform } from '../support/platform.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const exec = promisify(execFile);

/** Runs the CLI to completion; never throws, so exit codes can be asserted. */
async function forewarn(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('forewarn serve', () => {
  it('reports every invalid setting at once and exits non-zero', async () => {
    const result = await forewarn(['serve', '--store', 'mongo'], {
      FOREWARN_HTTP_PORT: 'eighty',
      FOREWARN_ADMIN_TOKEN: 'short',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('http.port: ');
    expect(result.stderr).toContain('store.kind: ');
    expect(result.stderr).toContain('adminToken: must be at least 16 characters');
  });

  it('generates an admin token at first start, prints it once, and accepts it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forewarn-cli-'));
    const start = () =>
      new Promise<{ out: string; stop: () => Promise<void> }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'serve', '--mqtt-port', '0', '--http-port', '0'], {
          env: {
            ...process.env,
            FOREWARN_DATA_DIR: dataDir,
            FOREWARN_LOG_LEVEL: 'warn',
            FOREWARN_ADMIN_TOKEN: '',
          },
        });
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 15_000);
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (/HTTP API .*\n/.test(out)) {
            clearTimeout(timer);
            setTimeout(
              () =>
                resolve({
                  out,
                  stop: () =>
                    new Promise((done) => {
                      child.once('exit', () => done());
                      child.kill('SIGTERM');
                    }),
                }),
              100,
            );
          }
        });
      });
    try {
      const first = await start();
      const token = /admin token \(shown once\): (\S+)/.exec(first.out)?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const port = /http:\/\/[^:]+:(\d+)/.exec(first.out)?.[1];
      const res = await fetch(`http://127.0.0.1:${port}/api/devices`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      await first.stop();

      const second = await start();
      expect(second.out).not.toContain('admin token');
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('forewarn devices', () => {
  let platform: TestPlatform;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'forewarn-cli-devices-'));
  beforeAll(async () => {
    platform = await startTestPlatform();
    env = { FOREWARN_API_URL: `http://127.0.0.1:${platform.httpPort}`, FOREWARN_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    await platform.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, lists, rotates and removes a device', async () => {
    const added = await forewarn(
      ['devices', 'add', 'cli-1', '--model', 'FR-300', '--lat', '52.5', '--lon', '13.4'],
      env,
    );
    expect(added).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/cli-1 registered; its MQTT password \(shown once\): \S{32}/),
    });
    expect(platform.registry.get('cli-1')).toMatchObject({ model: 'FR-300', lat: 52.5, lon: 13.4 });

    const listed = await forewarn(['devices', 'list'], env);
    expect(listed.stdout).toMatch(/^cli-1\tFR-300\tno\t-\t$/m);

    const rotated = await forewarn(['devices', 'rotate', 'cli-1'], env);
    const token = /\(shown once\): (\S+)/.exec(rotated.stdout)?.[1] as string;
    expect((await platform.connect('cli-1', token)).connected).toBe(true);

    expect((await forewarn(['devices', 'remove', 'cli-1'], env)).code).toBe(0);
    expect(platform.registry.get('cli-1')).toBeUndefined();
    const again = await forewarn(['devices', 'remove', 'cli-1'], env);
    expect(again).toMatchObject({ code: 1, stderr: 'forewarn devices remove: no device cli-1\n' });
  });

  it('imports a CSV: a token per created device on stdout, an error per bad row on stderr', async () => {
    const rows = ['id,model,lat,lon,customer'];
    for (let i = 0; i < 1000; i++) rows.push(`imp-${i},PU-55,48.1,11.5,"Works, Ltd"`);
    rows.push('imp-bad,TOASTER,,,', 'imp-0,PU-55,,,');
    const file = join(dir, 'devices.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const result = await forewarn(['devices', 'import', file], env);
    expect(result.code).toBe(1); // some rows failed
    const tokens = result.stdout.trim().split('\n');
    expect(tokens[0]).toBe('id,token');
    expect(tokens).toHaveLength(1001);
    expect(result.stderr).toContain('line 1002: model: unknown model');
    expect(result.stderr).toContain('line 1003: device imp-0 already exists');
    expect(result.stderr).toContain('1000 devices created, 2 rows failed');
    expect(platform.registry.get('imp-999')).toMatchObject({ model: 'PU-55', customer: 'Works, Ltd' });
    const [id, token] = tokens[500].split(',');
    expect((await platform.connect(id, token)).connected).toBe(true);
  });
});
