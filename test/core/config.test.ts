import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';

describe('configuration', () => {
  it('has defaults that serve on localhost with the embedded store', () => {
    const { config } = loadConfig({ env: {} });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      dataDir: './data',
      store: { kind: 'sqlite' },
      mqtt: { port: 1883 },
    });
  });

  it('layers file < environment < flags', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-config-')), 'forewarn.config.json');
    writeFileSync(
      file,
      JSON.stringify({ http: { port: 7000 }, mqtt: { port: 7001 }, dataDir: '/from-file' }),
    );
    const { config } = loadConfig({
      file,
      env: { FOREWARN_MQTT_PORT: '7101', FOREWARN_DATA_DIR: '/from-env' },
      flags: { 'data-dir': '/from-flag' },
    });
    expect(config.http.port).toBe(7000);
    expect(config.mqtt.port).toBe(7101);
    expect(config.dataDir).toBe('/from-flag');
  });

  it('reports every invalid field at once as path: message', () => {
    let error: unknown;
    try {
      loadConfig({
        env: { FOREWARN_HTTP_PORT: 'eighty', FOREWARN_STORE: 'mongo', FOREWARN_ADMIN_TOKEN: 'short' },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('http.port: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('store.kind: '))).toBe(true);
    expect(problems).toContain('adminToken: must be at least 16 characters');
  });

  it('treats an empty variable as unset', () => {
    const { config } = loadConfig({ env: { FOREWARN_ADMIN_TOKEN: '', FOREWARN_HTTP_PORT: '' } });
    expect(config.adminToken).toBeUndefined();
    expect(config.http.port).toBe(8080);
  });

  it('warns about unknown FOREWARN_* variables instead of failing', () => {
    const { warnings } = loadConfig({ env: { FOREWARN_MQTT_PROT: '1' } });
    expect(warnings).toEqual(['unknown environment variable FOREWARN_MQTT_PROT is ignored']);
  });

  it('rejects unknown keys in the config file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-config-')), 'c.json');
    writeFileSync(file, JSON.stringify({ mqtt: { prot: 1 } }));
    expect(() => loadConfig({ file, env: {} })).toThrow(/mqtt: Unrecognized key/);
  });
});
