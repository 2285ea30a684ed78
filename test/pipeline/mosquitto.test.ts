import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/wire.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const run = promisify(execFile);

/** Runs a mosquitto client to completion; never throws, so exit codes can be asserted. */
async function mosquitto(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[]) {
  try {
    const { stdout, stderr } = await run(tool, args, { timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${tool} is missing: apt-get install -y mosquitto-clients`);
    return { code: Number(e.code ?? 1), stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('Debian mosquitto clients against the broker', () => {
  let platform: TestPlatform;
  let token: string;
  const base = () => ['-h', '127.0.0.1', '-p', String(platform.mqttPort)];

  beforeAll(async () => {
    platform = await startTestPlatform();
    token = await platform.provision('mq-1', 'FR-300');
    await platform.provision('mq-2', 'FR-300');
  });
  afterAll(() => platform.dispose());

  it('a QoS 1 publish from mosquitto_pub lands in the store', async () => {
    const ts = Date.now() - 5000;
    const result = await mosquitto('mosquitto_pub', [
      ...base(),
      '-u',
      'mq-1',
      '-P',
      token,
      '-i',
      'mq-1',
      '-q',
      '1',
      '-t',
      topics.telemetry('mq-1'),
      '-m',
      JSON.stringify({ ts, vibration_rms: 0.42, cabinet_c: 3.5 }),
    ]);
    expect(result).toMatchObject({ code: 0 });
    // QoS 1: mosquitto_pub exits after the PUBACK, which the broker sends only after the commit
    expect(await platform.telemetry.query({ device: 'mq-1', from: ts, to: ts + 1, limit: 5 })).toEqual([
      { ts, values: { vibration_rms: 0.42, cabinet_c: 3.5 } },
    ]);
  });

  it('a wrong password is refused', async () => {
    const result = await mosquitto('mosquitto_pub', [
      ...base(),
      '-u',
      'mq-1',
      '-P',
      'not-the-token',
      '-q',
      '1',
      '-t',
      topics.telemetry('mq-1'),
      '-m',
      '{"vibration_rms":1}',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/bad user name or password|not authori[sz]ed/i);
  });

  it("publishing to another device's topic is refused and nothing is stored", async () => {
    const ts = Date.now() - 4000;
    const result = await mosquitto('mosquitto_pub', [
      ...base(),
      '-u',
      'mq-1',
      '-P',
      token,
      '-q',
      '1',
      '-t',
      topics.telemetry('mq-2'),
      '-m',
      JSON.stringify({ ts, vibration_rms: 7.7 }),
    ]);
    expect(result.code).not.toBe(0);
    await platform.ingest.drain();
    expect(await platform.telemetry.query({ device: 'mq-2', from: 0, to: Date.now(), limit: 5 })).toEqual([]);
    const refusals = (await platform.metrics.aclRefusals.get()).values.find(
      (v) => v.labels.action === 'publish',
    );
    expect(refusals?.value).toBe(1);
  });

  it('mosquitto_sub receives commands on its own cmd/ topic and is denied elsewhere', async () => {
    const denied = await mosquitto('mosquitto_sub', [
      ...base(),
      '-u',
      'mq-1',
      '-P',
      token,
      '-t',
      'fleet/mq-2/cmd/#',
      '-C',
      '1',
      '-W',
      '3',
    ]);
    expect(denied.stderr).toContain('All subscription requests were denied.');
    expect(denied.stdout).toBe('');

    const sub = spawn('mosquitto_sub', [
      ...base(),
      '-u',
      'mq-1',
      '-P',
      token,
      '-i',
      'mq-1-sub',
      '-t',
      'fleet/mq-1/cmd/#',
      '-C',
      '1',
      '-v',
      '-W',
      '8',
    ]);
    let output = '';
    sub.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => sub.on('exit', resolve));
    // Publish until the subscription is in place (the client connects asynchronously).
    const timer = setInterval(() => {
      platform.broker.aedes.publish(
        {
          cmd: 'publish',
          topic: 'fleet/mq-1/cmd/defrost',
          payload: Buffer.from('{"minutes":20}'),
          qos: 0,
          retain: false,
          dup: false,
        },
        () => undefined,
      );
    }, 100);
    const code = await exited;
    clearInterval(timer);
    expect(code).toBe(0);
    expect(output.trim()).toBe('fleet/mq-1/cmd/defrost {"minutes":20}');
  });
});
