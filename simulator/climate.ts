/**
 * Regions and their weather. The outdoor air temperature of a region is a pure function of time: a
 * seasonal cycle, a daily cycle by local solar time, slow multi-day weather swings, and heat waves that
 * lift the whole region at once. Devices add their own site offset and sensor noise on top.
 */
import { deriveSeed, Rng } from './random.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.js';

export interface Region {
  id: string;
  /** Where the region's sites cluster. */
  lat: number;
  lon: number;
  /** Sites lie within this many degrees of the centre. */
  spreadDeg: number;
  /** Yearly mean air temperature, °C. */
  meanC: number;
  /** Half the difference between the warmest and the coldest time of year, °C. */
  seasonalAmplitudeC: number;
  /** Half the difference between afternoon and pre-dawn temperatures, °C. */
  dailyAmplitudeC: number;
}

export const REGIONS: readonly Region[] = [
  {
    id: 'north',
    lat: 53.55,
    lon: 9.99,
    spreadDeg: 1.2,
    meanC: 9.5,
    seasonalAmplitudeC: 8.5,
    dailyAmplitudeC: 4,
  },
  {
    id: 'west',
    lat: 45.76,
    lon: 4.84,
    spreadDeg: 1.2,
    meanC: 12.5,
    seasonalAmplitudeC: 9.5,
    dailyAmplitudeC: 5.5,
  },
  {
    id: 'south',
    lat: 37.39,
    lon: -5.98,
    spreadDeg: 1.2,
    meanC: 18,
    seasonalAmplitudeC: 8.5,
    dailyAmplitudeC: 7,
  },
  {
    id: 'east',
    lat: 47.5,
    lon: 19.04,
    spreadDeg: 1.2,
    meanC: 11.5,
    seasonalAmplitudeC: 11,
    dailyAmplitudeC: 5.5,
  },
];

/** A heat wave: the region's air is `deltaC` warmer between start and end, with half-day ramps at both ends. */
export interface HeatWave {
  region: string;
  /** Epoch ms. */
  start: number;
  /** Epoch ms. */
  end: number;
  deltaC: number;
}

const YEAR_DAYS = 365.2425;
/** Day of the year (0 = 1 January) when the season peaks in the northern hemisphere. */
const WARMEST_DAY = 200;
const AFTERNOON_PEAK_HOUR = 15;
const HEAT_WAVE_RAMP_MS = 12 * HOUR_MS;

/** Multi-day weather swings: a few slow sinusoids per region with seeded periods and phases. */
interface WeatherSwing {
  amplitudeC: number;
  periodMs: number;
  phase: number;
}

/** The weather of every region of a run: deterministic in the seed, evaluated at any time. */
export class Weather {
  private readonly swings: WeatherSwing[][];
  private readonly wavesByRegion: HeatWave[][];
  // Weather changes slowly: it is evaluated once per simulated minute and region.
  private readonly cachedMinute: Float64Array;
  private readonly cachedC: Float64Array;

  constructor(
    readonly regions: readonly Region[],
    readonly heatWaves: readonly HeatWave[],
    seed: number,
  ) {
    this.swings = regions.map((region) => {
      const rng = new Rng(deriveSeed(seed, 'weather', region.id));
      return [1.5, 1.0, 0.6].map((amplitudeC, i) => ({
        amplitudeC,
        periodMs: rng.uniform(2.5 + 2 * i, 4 + 3 * i) * DAY_MS,
        phase: rng.uniform(0, 2 * Math.PI),
      }));
    });
    this.wavesByRegion = regions.map((region) => heatWaves.filter((wave) => wave.region === region.id));
    this.cachedMinute = new Float64Array(regions.length).fill(Number.NaN);
    this.cachedC = new Float64Array(regions.length);
  }

  /** Outdoor air temperature of region `regionIndex` at `t` (epoch ms, resolved to the minute), heat waves included. */
  ambientC(regionIndex: number, t: number): number {
    const minute = Math.floor(t / MINUTE_MS);
    if (this.cachedMinute[regionIndex] !== minute) {
      const at = minute * MINUTE_MS;
      this.cachedMinute[regionIndex] = minute;
      this.cachedC[regionIndex] = this.normalAmbientC(regionIndex, at) + this.heatWaveDeltaC(regionIndex, at);
    }
    return this.cachedC[regionIndex];
  }

  /** The air temperature without heat waves. */
  normalAmbientC(regionIndex: number, t: number): number {
    const region = this.regions[regionIndex];
    const days = t / DAY_MS;
    const seasonal = Math.cos((2 * Math.PI * ((days % YEAR_DAYS) - WARMEST_DAY)) / YEAR_DAYS);
    const daily = Math.cos((2 * Math.PI * (solarHour(t, region.lon) - AFTERNOON_PEAK_HOUR)) / 24);
    let swing = 0;
    for (const s of this.swings[regionIndex])
      swing += s.amplitudeC * Math.sin((2 * Math.PI * t) / s.periodMs + s.phase);
    return region.meanC + region.seasonalAmplitudeC * seasonal + region.dailyAmplitudeC * daily + swing;
  }

  heatWaveDeltaC(regionIndex: number, t: number): number {
    let delta = 0;
    for (const wave of this.wavesByRegion[regionIndex]) delta += heatWaveProfile(wave, t) * wave.deltaC;
    return delta;
  }
}

/** 0 outside the wave, 1 on its plateau, a raised-cosine ramp in between. */
function heatWaveProfile(wave: HeatWave, t: number): number {
  if (t <= wave.start || t >= wave.end) return 0;
  const ramp = Math.min(HEAT_WAVE_RAMP_MS, (wave.end - wave.start) / 4);
  const edge = Math.min(t - wave.start, wave.end - t);
  return edge >= ramp ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp);
}

/** Local solar hour (0–24) at longitude `lon`: what drives daily routines such as opening hours. */
export function solarHour(t: number, lon: number): number {
  return (((((t / HOUR_MS) % 24) + lon / 15) % 24) + 24) % 24;
}

/** Seeded heat waves over [start, end): about one per region per month, 2–6 days, +4 to +8 °C. */
export function planHeatWaves(
  regions: readonly Region[],
  start: number,
  end: number,
  seed: number,
): HeatWave[] {
  const waves: HeatWave[] = [];
  const spanDays = (end - start) / DAY_MS;
  for (const region of regions) {
    const rng = new Rng(deriveSeed(seed, 'heat-waves', region.id));
    const expected = spanDays / 30;
    let count = Math.floor(expected) + (rng.chance(expected % 1) ? 1 : 0);
    let cursor = start + rng.uniform(0.1, 0.4) * DAY_MS * Math.min(spanDays, 10);
    while (count-- > 0) {
      const duration = rng.uniform(2, 6) * DAY_MS;
      const slack = end - cursor - duration;
      if (slack <= 0) break;
      const waveStart = cursor + rng.uniform(0, Math.min(slack, (end - start) / Math.max(1, expected)));
      const wave = {
        region: region.id,
        start: roundToMinute(waveStart),
        end: roundToMinute(waveStart + duration),
        deltaC: Math.round(rng.uniform(4, 8) * 10) / 10,
      };
      waves.push(wave);
      cursor = wave.end + 2 * DAY_MS;
    }
  }
  return waves.sort((a, b) => a.start - b.start || a.region.localeCompare(b.region));
}

function roundToMinute(ms: number): number {
  return Math.round(ms / MINUTE_MS) * MINUTE_MS;
}
