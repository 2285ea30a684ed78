/**
 * Rules configuration: defaults in code, a JSON file that may override them for every model (`defaults`) and
 * per model (`models.<id>`), validated with zod so that every mistake is reported as `path: message`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  criticalLevel,
  ISO_10816_ZONES,
  MODEL_IDS,
  type ModelProfile,
  modelProfile,
} from '../core/models.js';

/** The metrics the machine detectors watch; each has its own fault codes. */
export const MACHINE_METRICS = ['vibration_rms', 'temperature_c'] as const;
export type MachineMetric = (typeof MACHINE_METRICS)[number];

const positive = z.number().positive();
const nonNegative = z.number().min(0);

/** Settings of the detectors on one machine metric. */
const metricRulesSchema = z
  .object({
    /** Readings are averaged over buckets of this length before the baseline, drift and trend detectors see them. */
    bucketMinutes: z.number().min(1).max(120),
    /** A bucket with fewer readings is treated as missing. */
    minBucketReadings: z.number().int().min(1),
    /** How long a unit observes itself before it judges itself… */
    warmupHours: z
      .number()
      .min(2)
      .max(24 * 14),
    /** …and how many buckets with a value it needs by then (warm-up goes on until it has them). */
    minWarmupBuckets: z.number().int().min(3),
    /** Lower bound of the learned spread, in metric units, so a very quiet unit does not alarm on noise. */
    minSpread: positive,
    /** Lower bound of the learned spread as a share of the learned level. */
    minSpreadShare: nonNegative,
    /** Time constant of the slow adaptation of the baseline while the unit is healthy. */
    adaptDays: positive,
    /** Only buckets within this many spreads of the baseline adapt it. */
    adaptMaxZ: positive,
    /** Standardised residuals are limited to ± this before CUSUM, so one wild bucket cannot alarm on its own. */
    zClip: positive,
    /** Weight of the newest bucket in the EWMA of the standardised residual. */
    ewmaLambda: z.number().gt(0).max(1),
    /** Two-sided CUSUM on the standardised residual: allowance k and decision interval h, in spreads. */
    cusum: z.object({ k: nonNegative, h: positive }).strict(),
    /** A drift ends once the EWMA residual stays below `clearZ` for `clearHours`. */
    drift: z.object({ clearZ: z.number(), clearHours: nonNegative }).strict(),
    /** A CUSUM alarm reached within `maxHours` of the change, with a mean residual of at least `minZ`, is a step. */
    step: z.object({ maxHours: nonNegative, minZ: positive }).strict(),
    trend: z
      .object({
        /** Regression window; at most 24 hours of buckets are kept. */
        windowHours: z.number().min(1).max(24),
        /** A trend needs a slope at least this many standard errors above zero… */
        minT: positive,
        /** …a smoothed residual at least this many spreads above the baseline… */
        minZ: nonNegative,
        /** …and a predicted critical time no further away than this (also the furthest prediction given). */
        horizonDays: positive,
        /** A finding whose predicted critical time is nearer than this is critical. */
        criticalHours: nonNegative,
      })
      .strict(),
    zone: z
      .object({
        /** Time constant of the smoothing of raw readings before they are compared with the limits. */
        smoothingMinutes: nonNegative,
        /** The smoothed value must stay beyond a limit this long before the zone is entered. */
        enterMinutes: nonNegative,
        /** …and back below the limit minus the hysteresis this long before it is left. */
        clearMinutes: nonNegative,
        /** Share of the limit the value must fall below it to count as back (hysteresis band). */
        hysteresis: z.number().min(0).max(0.5),
        /** For temperature: the excess over ambient and peers (in spreads) needed before a limit counts. */
        contextZ: nonNegative,
      })
      .strict(),
    peers: z
      .object({
        /** Compare the unit with units of the same model in the same region. */
        enabled: z.boolean(),
        /** At least this many other units must have reported recently. */
        minPeers: z.number().int().min(1),
      })
      .strict(),
    /**
     * Operating state in which the metric is judged (e.g. vibration only while the compressor runs): readings
     * count only while `metric` is within [min, max] and has been for `settleMinutes`. Null: always.
     */
    gate: z
      .object({
        metric: z.string(),
        min: z.number().optional(),
        max: z.number().optional(),
        settleMinutes: nonNegative,
      })
      .strict()
      .nullable(),
    /**
     * Load that explains part of the metric's level (a motor runs hotter under load): the expected level is
     * regressed on `metric` (a 0/1 running indicator when `min` is given: 1 at or above it). Null: none.
     */
    load: z
      .object({
        metric: z.string(),
        min: z.number().optional(),
        /**
         * A reading counts only once the metric has closed all but this share of the way to its new level after a
         * load change (for a running indicator: after lagMinutes × ln(1/settle) at the new level; for a continuous
         * load: once the lagged load is within this share of the load): on the way it says nothing yet.
         */
        settle: z.number().positive().default(0.1),
      })
      .strict()
      .nullable(),
    /** Thermal time constant: ambient and load act on the metric through a lag this long (0 = at once). */
    lagMinutes: nonNegative,
  })
  .strict();

/** Settings for a model as a whole. */
const modelRulesSchema = z
  .object({
    /** A device silent this long is offline. */
    offlineAfterMinutes: positive,
    /** A watched metric missing this long while the device still reports is a data gap. */
    gapMinutes: positive,
    /**
     * Share of its readings a device must deliver over an hour: below `minShare` it is a data gap (DATA-GAP on
     * the device), cleared by an hour at or above `clearShare`. A silence past `offlineAfterMinutes` is OFFLINE instead.
     */
    delivery: z
      .object({
        minShare: z.number().min(0).max(1),
        clearShare: z.number().min(0).max(1),
        windowMinutes: positive,
      })
      .strict(),
    /** Repeated physically impossible values: this many within `clearMinutes` raise the finding, none for `clearMinutes` clears it. */
    impossible: z.object({ minReadings: z.number().int().min(1), clearMinutes: positive }).strict(),
    /** Metrics checked for stuck values and gaps; every metric is checked against its physical range. */
    qualityMetrics: z.array(z.string()),
    stuck: z
      .object({
        /** A run of at least this many identical readings… */
        minReadings: z.number().int().min(2),
        /** …lasting at least this long, is a stuck sensor. */
        minMinutes: nonNegative,
      })
      .strict(),
    /** A reading more than this far behind the newest one of its device comes from a wrong clock, not from reordering. */
    clockSkewMinutes: positive,
    /** An active finding is repeated when its predicted critical time moves by more than this many hours… */
    predictionUpdateHours: positive,
    /** …and by more than this share of the time left. */
    predictionUpdateShare: nonNegative,
    metrics: z.object({ vibration_rms: metricRulesSchema, temperature_c: metricRulesSchema }).strict(),
  })
  .strict();

export type MetricRulesSettings = z.infer<typeof metricRulesSchema>;
export type ModelRulesSettings = z.infer<typeof modelRulesSchema>;

const COMMON_METRIC_DEFAULTS = {
  bucketMinutes: 20,
  minBucketReadings: 3,
  warmupHours: 24,
  minWarmupBuckets: 8,
  adaptDays: 7,
  adaptMaxZ: 2.5,
  zClip: 4,
  ewmaLambda: 0.2,
  cusum: { k: 0.75, h: 8 },
  drift: { clearZ: 1, clearHours: 2 },
  step: { maxHours: 1.5, minZ: 3 },
  trend: { windowHours: 24, minT: 5, minZ: 2, horizonDays: 30, criticalHours: 48 },
  zone: { smoothingMinutes: 5, enterMinutes: 10, clearMinutes: 30, hysteresis: 0.1, contextZ: 0 },
  peers: { enabled: false, minPeers: 3 },
  gate: null,
  load: null,
  lagMinutes: 0,
} satisfies Omit<MetricRulesSettings, 'minSpread' | 'minSpreadShare'>;

/** The defaults every model starts from. */
export const DEFAULT_MODEL_RULES: ModelRulesSettings = {
  offlineAfterMinutes: 60,
  gapMinutes: 30,
  delivery: { minShare: 0.7, clearShare: 0.9, windowMinutes: 60 },
  qualityMetrics: ['vibration_rms', 'temperature_c', 'ambient_c'],
  stuck: { minReadings: 20, minMinutes: 30 },
  impossible: { minReadings: 3, clearMinutes: 60 },
  clockSkewMinutes: 15,
  predictionUpdateHours: 6,
  predictionUpdateShare: 0.5,
  metrics: {
    vibration_rms: { ...COMMON_METRIC_DEFAULTS, minSpread: 0.02, minSpreadShare: 0.03 },
    temperature_c: {
      ...COMMON_METRIC_DEFAULTS,
      minSpread: 0.3,
      minSpreadShare: 0,
      zone: { ...COMMON_METRIC_DEFAULTS.zone, contextZ: 3 },
      peers: { enabled: true, minPeers: 3 },
    },
  },
};

/**
 * What the built-in product models need beyond the defaults: the operating state in which vibration means
 * something (a compressor or drum that runs), what explains their temperature (load, with the unit's
 * thermal time constant). Product knowledge, not tuning: a file can still override every value.
 */
export const BUILT_IN_MODEL_RULES: Record<string, unknown> = {
  'AC-2000': {
    metrics: {
      vibration_rms: { gate: { metric: 'current_a', min: 2, settleMinutes: 0 } },
      temperature_c: { load: { metric: 'current_a', min: 2 }, lagMinutes: 2.5 },
    },
  },
  'FR-300': {
    metrics: {
      vibration_rms: { gate: { metric: 'vibration_rms', min: 0.15, settleMinutes: 0 } },
      temperature_c: { load: { metric: 'vibration_rms', min: 0.15 }, lagMinutes: 6 },
    },
  },
  'WM-800': {
    metrics: {
      vibration_rms: { bucketMinutes: 60, gate: { metric: 'rpm', min: 500, settleMinutes: 0 } },
      // The turning drum is the motor's load, so its temperature is judged running as well as at rest; the
      // program's phases (wash, spin) move it by more than sensor noise, hence a wider floor on the spread.
      temperature_c: { load: { metric: 'rpm', min: 1 }, lagMinutes: 10, minSpread: 1 },
    },
  },
  'PU-55': {
    metrics: {
      temperature_c: { load: { metric: 'current_a' }, lagMinutes: 20 },
    },
  },
};

/** Everything a file may say; every key optional, checked again after merging with the defaults. */
const rulesFileSchema = z
  .object({
    defaults: z.record(z.string(), z.unknown()).optional(),
    models: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .strict();

/** Thrown when a rules file is invalid; `problems` holds every `path: message` at once. */
export class RulesConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid rules configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'RulesConfigError';
  }
}

/** Metric settings with the model's limits and the durations converted to milliseconds, ready for the hot path. */
export interface MetricRules extends MetricRulesSettings {
  metric: MachineMetric;
  bucketMs: number;
  /** Buckets in the warm-up. */
  warmupBuckets: number;
  /** Buckets in the regression window. */
  trendBuckets: number;
  /** The warning limit (ISO 10816 zone B/C for vibration, `warningC` for temperature). */
  warningLimit: number;
  /** The critical limit (zone C/D, `criticalC`): reaching it is failure. */
  criticalLimit: number;
  /** Values outside this range cannot come from a working sensor. */
  physical: { min: number; max: number };
  /** `lagMinutes` and `gate.settleMinutes` in ms. */
  lagMs: number;
  settleMs: number;
}

/** The rules of one model, resolved. */
export interface ModelRules {
  profile: ModelProfile;
  offlineAfterMs: number;
  gapMs: number;
  delivery: { minShare: number; clearShare: number; windowMs: number };
  qualityMetrics: ReadonlySet<string>;
  stuckMinReadings: number;
  stuckMs: number;
  impossibleMinReadings: number;
  impossibleClearMs: number;
  clockSkewMs: number;
  predictionUpdateMs: number;
  predictionUpdateShare: number;
  vibration: MetricRules;
  temperature: MetricRules;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** At most this many buckets are kept per metric: the ring buffer behind warm-up and trend. */
export const RING_CAPACITY = 72;

function resolveMetric(
  settings: MetricRulesSettings,
  metric: MachineMetric,
  profile: ModelProfile,
): MetricRules {
  const bucketMs = settings.bucketMinutes * MINUTE;
  const critical = criticalLevel(profile, metric) as number;
  const warning =
    metric === 'vibration_rms' ? ISO_10816_ZONES[profile.vibrationClass].bc : profile.temperature.warningC;
  return {
    ...settings,
    metric,
    bucketMs,
    warmupBuckets: Math.max(3, Math.round((settings.warmupHours * HOUR) / bucketMs)),
    trendBuckets: Math.min(
      RING_CAPACITY,
      Math.max(3, Math.round((settings.trend.windowHours * HOUR) / bucketMs)),
    ),
    warningLimit: warning,
    criticalLimit: critical,
    physical: profile.metrics[metric].physical,
    lagMs: settings.lagMinutes * MINUTE,
    settleMs: (settings.gate?.settleMinutes ?? 0) * MINUTE,
  };
}

function resolve(settings: ModelRulesSettings, profile: ModelProfile): ModelRules {
  return {
    profile,
    offlineAfterMs: settings.offlineAfterMinutes * MINUTE,
    gapMs: settings.gapMinutes * MINUTE,
    delivery: { ...settings.delivery, windowMs: settings.delivery.windowMinutes * MINUTE },
    qualityMetrics: new Set(settings.qualityMetrics),
    stuckMinReadings: settings.stuck.minReadings,
    stuckMs: settings.stuck.minMinutes * MINUTE,
    impossibleMinReadings: settings.impossible.minReadings,
    impossibleClearMs: settings.impossible.clearMinutes * MINUTE,
    clockSkewMs: settings.clockSkewMinutes * MINUTE,
    predictionUpdateMs: settings.predictionUpdateHours * HOUR,
    predictionUpdateShare: settings.predictionUpdateShare,
    vibration: resolveMetric(settings.metrics.vibration_rms, 'vibration_rms', profile),
    temperature: resolveMetric(settings.metrics.temperature_c, 'temperature_c', profile),
  };
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    out[key] = isTree(value) && isTree(out[key]) ? deepMerge(out[key] as Tree, value) : value;
  }
  return out;
}

function issues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map(
    (issue) => `${[prefix, ...issue.path].filter((p) => p !== '').join('.') || '(root)'}: ${issue.message}`,
  );
}

/** The validated rules configuration: gives each model its resolved rules. */
export interface RulesConfig {
  /** Rules for a model id, or undefined for a model the platform does not know. */
  forModel(modelId: string): ModelRules | undefined;
}

/**
 * Validates a rules file's content (an object) and merges it over the defaults. Every problem is reported at
 * once as `path: message`; per-model overrides are checked for every model they name and for every built-in model.
 */
export function parseRulesConfig(content: unknown): RulesConfig {
  const parsed = rulesFileSchema.safeParse(content ?? {});
  if (!parsed.success) throw new RulesConfigError(issues(parsed.error, ''));
  const file = parsed.data;
  const problems: string[] = [];
  const report = (found: string[]) => {
    for (const problem of found) if (!problems.includes(problem)) problems.push(problem);
  };
  for (const modelId of Object.keys(file.models ?? {})) {
    if (!modelProfile(modelId))
      report([`models.${modelId}: unknown model; known models: ${MODEL_IDS.join(', ')}`]);
  }
  const merged = new Map<string, Tree>();
  for (const modelId of MODEL_IDS) {
    const profile = modelProfile(modelId) as ModelProfile;
    const base = [BUILT_IN_MODEL_RULES[modelId], file.defaults].reduce<Tree>(
      (tree, layer) => (isTree(layer) ? deepMerge(tree, layer) : tree),
      DEFAULT_MODEL_RULES as unknown as Tree,
    );
    // A problem in `defaults` is reported once, under `defaults`; an override is blamed only for its own.
    const baseProblems = check(base, profile);
    report(baseProblems.map((problem) => `defaults.${problem}`));
    const overrides = file.models?.[modelId];
    const settings = overrides ? deepMerge(base, overrides) : base;
    if (overrides) {
      report(
        check(settings, profile)
          .filter((problem) => !baseProblems.includes(problem))
          .map((problem) => `models.${modelId}.${problem}`),
      );
    }
    merged.set(modelId, settings);
  }
  if (problems.length > 0) throw new RulesConfigError(problems);
  const resolved = new Map(
    [...merged].map(([modelId, settings]) => [
      modelId,
      resolve(modelRulesSchema.parse(settings), modelProfile(modelId) as ModelProfile),
    ]),
  );
  return { forModel: (modelId) => resolved.get(modelId) };
}

/** Every problem with one model's merged settings, as `path: message` (schema first, then metric names). */
function check(settings: Tree, profile: ModelProfile): string[] {
  const parsed = modelRulesSchema.safeParse(settings);
  const problems = parsed.success ? [] : issues(parsed.error, '');
  const metrics = isTree(settings.metrics) ? settings.metrics : {};
  for (const metric of MACHINE_METRICS) {
    const rules = isTree(metrics[metric]) ? (metrics[metric] as Tree) : {};
    for (const part of ['gate', 'load'] as const) {
      const named = isTree(rules[part]) ? (rules[part] as Tree).metric : undefined;
      if (typeof named === 'string' && !Object.hasOwn(profile.metrics, named)) {
        problems.push(
          `metrics.${metric}.${part}.metric: '${named}' is not a metric of ${profile.id} (${Object.keys(profile.metrics).join(', ')})`,
        );
      }
    }
  }
  return problems;
}

/** Reads and validates a rules file (JSON). */
export function loadRulesConfig(path: string): RulesConfig {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RulesConfigError([`${path}: ${(error as Error).message}`]);
  }
  try {
    return parseRulesConfig(content);
  } catch (error) {
    if (error instanceof RulesConfigError)
      throw new RulesConfigError(error.problems.map((p) => `${path}: ${p}`));
    throw error;
  }
}

/** The rules with every default. */
export function defaultRulesConfig(): RulesConfig {
  return parseRulesConfig({});
}
