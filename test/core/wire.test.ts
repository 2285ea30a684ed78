import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, parseDeviceTopic, topics } from '../../core/wire.js';

describe('wire format', () => {
  it('parses device topics and nothing else', () => {
    expect(parseDeviceTopic(topics.telemetry('ac-1'))).toEqual({
      deviceId: 'ac-1',
      kind: 'telemetry',
      rest: [],
    });
    expect(parseDeviceTopic('fleet/ac-1/cmd/reboot')).toEqual({
      deviceId: 'ac-1',
      kind: 'cmd',
      rest: ['reboot'],
    });
    expect(parseDeviceTopic('fleet/ac-1/telemetry/extra')).toBeNull();
    expect(parseDeviceTopic('other/ac-1/telemetry')).toBeNull();
    expect(parseDeviceTopic('fleet/+/telemetry')).toBeNull();
  });

  it('lets a device publish only its own telemetry and status', () => {
    expect(mayPublish('ac-1', 'fleet/ac-1/telemetry')).toBe(true);
    expect(mayPublish('ac-1', 'fleet/ac-1/status')).toBe(true);
    expect(mayPublish('ac-1', 'fleet/ac-2/telemetry')).toBe(false);
    expect(mayPublish('ac-1', 'fleet/ac-1/cmd/x')).toBe(false);
    expect(mayPublish('ac-1', '$SYS/broker')).toBe(false);
  });

  it('lets a device subscribe only below its own cmd/', () => {
    expect(maySubscribe('ac-1', 'fleet/ac-1/cmd/#')).toBe(true);
    expect(maySubscribe('ac-1', 'fleet/ac-1/cmd/+/x')).toBe(true);
    expect(maySubscribe('ac-1', 'fleet/ac-1/#')).toBe(false);
    expect(maySubscribe('ac-1', 'fleet/+/cmd/#')).toBe(false);
    expect(maySubscribe('ac-1', 'fleet/ac-2/cmd/#')).toBe(false);
    expect(maySubscribe('ac-1', '#')).toBe(false);
  });
});
