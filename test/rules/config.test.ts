import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ISO_10816_ZONES, MODEL_IDS, modelProfile } from '../../core/models.js';
import {
  DEFAULT_MODEL_RULES,
  defaultRulesConfig,
  loadRulesConfig,
  parseRulesConfig,
  RulesConfigError,
} from '../../rules/config.js';

function problemsOf(content: unknown): string[] {
  try {
    parseRulesConfig(content);
  } catch (error) {
    if (error instanceof RulesConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('rules configuration', () => {
  it('resolves every built-in model from the defaults, with the limits of its profile', () => {
    const config = defaultRulesConfig();
    for (const id of MODEL_IDS) {
      const rules = config.forModel(id);
      const profile = modelProfile(id)!;
      expect(rules?.vibration.criticalLimit).toBe(ISO_10816_ZONES[profile.vibrationClass].cd);
      expect(rules?.vibration.warningLimit).toBe(ISO_10816_ZONES[profile.vibrationClass].bc);
      expect(rules?.temperature.criticalLimit).toBe(profile.temperature.criticalC);
      expect(rules?.offlineAfterMs).toBe(DEFAULT_MODEL_RULES.offlineAfterMinutes * 60_000);
    }
    expect(config.forModel('XX-1')).toBeUndefined();
  });

  it('applies file defaults to every model and per-model overrides to one', () => {
    const config = parseRulesConfig({
      defaults: { offlineAfterMinutes: 15, metrics: { vibration_rms: { cusum: { h: 12 } } } },
      models: { 'PU-55': { metrics: { temperature_c: { warmupHours: 48 } } } },
    });
    expect(config.forModel('AC-2000')?.offlineAfterMs).toBe(15 * 60_000);
    expect(config.forModel('AC-2000')?.vibration.cusum).toEqual({
      k: DEFAULT_MODEL_RULES.metrics.vibration_rms.cusum.k,
      h: 12,
    });
    expect(config.forModel('PU-55')?.temperature.warmupHours).toBe(48);
    expect(config.forModel('AC-2000')?.temperature.warmupHours).toBe(
      DEFAULT_MODEL_RULES.metrics.temperature_c.warmupHours,
    );
  });

  it('reports every problem at once as path: message', () => {
    const problems = problemsOf({
      defaults: { gapMinutes: -1, metrics: { vibration_rms: { cusum: { k: 'big' } } } },
      models: {
        'WM-800': { metrics: { temperature_c: { gate: { metric: 'current_a', min: 1, settleMinutes: 5 } } } },
        'ZZ-9': {},
      },
    });
    expect(problems).toContain('defaults.gapMinutes: Too small: expected number to be >0');
    expect(problems.some((p) => p.startsWith('defaults.metrics.vibration_rms.cusum.k: '))).toBe(true);
    expect(problems).toContain(
      "models.WM-800.metrics.temperature_c.gate.metric: 'current_a' is not a metric of WM-800 (vibration_rms, temperature_c, ambient_c, rpm)",
    );
    expect(problems.some((p) => p.startsWith('models.ZZ-9: unknown model'))).toBe(true);
  });

  it('refuses unknown keys rather than ignoring a typo', () => {
    expect(problemsOf({ defaults: { metrics: { vibration_rms: { cusm: {} } } } })).toEqual([
      'defaults.metrics.vibration_rms: Unrecognized key: "cusm"',
    ]);
    expect(problemsOf({ rules: {} })).toEqual(['(root): Unrecognized key: "rules"']);
  });

  describe('from a file', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('reads JSON and names the file in its errors', () => {
      dir = mkdtempSync(join(tmpdir(), 'forewarn-rules-'));
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ defaults: { gapMinutes: 45 } }));
      expect(loadRulesConfig(good).forModel('FR-300')?.gapMs).toBe(45 * 60_000);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{ not json');
      expect(() => loadRulesConfig(bad)).toThrow(/bad\.json: /);
      writeFileSync(bad, JSON.stringify({ defaults: { gapMinutes: 0 } }));
      expect(() => loadRulesConfig(bad)).toThrow(/bad\.json: defaults\.gapMinutes/);
    });
  });
});
