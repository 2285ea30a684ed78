import { describe, expect, it } from 'vitest';
import { DeviceKeys } from '../../core/device-keys.js';

describe('DeviceKeys', () => {
  it('gives each id one dense number, the same every time', () => {
    const keys = new DeviceKeys();
    const ids = ['ac-1', 'ac-2', 'pump-9', 'ac-1', `ac-${1}`];
    expect(ids.map((id) => keys.keyOf(id))).toEqual([0, 1, 2, 0, 0]);
  });
});
