import { describe, expect, it } from 'vitest';
import {
  type Block,
  BlockBuilder,
  ByteReader,
  ByteWriter,
  CorruptDataError,
  chunkLength,
  decimalScale,
  decodeChunk,
  decodeChunks,
  decodeChunkTimestamps,
  encodeChunk,
  sliceFrom,
} from '../../store/telemetry/sqlite-codec.js';

/** A small deterministic generator (mulberry32), so that failures can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decoded equals original, value by value, telling -0 from 0 and NaN (absent) from any number. */
function expectSameBlock(actual: Block, expected: Block): void {
  expect(actual.ts).toEqual(expected.ts);
  const present = (block: Block) =>
    [...block.columns].filter(([, values]) => values.some((value) => !Number.isNaN(value))).map(([id]) => id);
  expect(present(actual).sort()).toEqual(present(expected).sort());
  for (const id of present(expected)) {
    const want = expected.columns.get(id)!;
    const got = actual.columns.get(id)!;
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(got[i], want[i]))
        throw new Error(`metric ${id}, row ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

function roundTrip(block: Block): Block {
  return decodeChunk(Buffer.from(encodeChunk(new ByteWriter(), block)));
}

describe('decimal scale', () => {
  it('finds the fewest decimals that reproduce a value, or none', () => {
    expect(decimalScale(0)).toBe(0);
    expect(decimalScale(42)).toBe(0);
    expect(decimalScale(-1.5)).toBe(1);
    expect(decimalScale(123456.789)).toBe(3);
    expect(decimalScale(0.000001)).toBe(6);
    // Beyond six decimals, not a short decimal at all, a negative zero, or too large to scale.
    for (const raw of [1e-7, 0.1 + 0.2, 1 / 3, -0, 2 ** 52, Number.MAX_VALUE])
      expect(decimalScale(raw)).toBe(7);
  });
});

describe('varints', () => {
  it('round-trips integers up to 2^53 and zigzag integers up to ±2^52', () => {
    const unsigned = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1];
    const signed = [0, -1, 1, -64, 64, -(2 ** 40), 2 ** 50, -(2 ** 52) + 1];
    const writer = new ByteWriter();
    for (const n of unsigned) writer.uint(n);
    for (const n of signed) writer.int(n);
    writer.float(-0);
    const reader = new ByteReader(Buffer.from(writer.view()));
    expect(unsigned.map(() => reader.uint())).toEqual(unsigned);
    expect(signed.map(() => reader.int())).toEqual(signed);
    expect(Object.is(reader.float(), -0)).toBe(true);
    expect(reader.done).toBe(true);
    expect(() => reader.byte()).toThrow(CorruptDataError);
  });
});

describe('chunk encoding', () => {
  it('round-trips random blocks exactly: sparse columns, any scale, raw doubles, odd timestamps', () => {
    const next = random(20240601);
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(next() * 400);
      const ts: number[] = [];
      let t = Math.floor((next() - 0.3) * 2 ** 47);
      for (let i = 0; i < n; i++) {
        // Regular steps with jitter, sometimes a large gap.
        t += next() < 0.05 ? Math.floor(next() * 2 ** 40) + 1 : 10_000 + Math.floor((next() - 0.5) * 50) + 26;
        ts.push(t);
      }
      const columns = new Map<number, Float64Array>();
      const columnCount = 1 + Math.floor(next() * 5);
      for (let c = 0; c < columnCount; c++) {
        const kind = Math.floor(next() * 4);
        const density = next() < 0.5 ? 1 : next();
        const scale = 10 ** Math.floor(next() * 7);
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          if (next() > density) values[i] = Number.NaN;
          else if (kind === 0) values[i] = Math.round((next() - 0.5) * 1e6) / scale;
          else if (kind === 1) values[i] = (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
          else if (kind === 2) values[i] = [0, -0, 5e-324, Number.MAX_VALUE, -(2 ** 49), 0.1 + 0.2][i % 6];
          else values[i] = Math.round(next() * 100) / 4;
        }
        columns.set(c * 3 + 1, values);
      }
      const block = { ts, columns };
      expectSameBlock(roundTrip(block), block);
      expect(decodeChunkTimestamps(encodeChunk(new ByteWriter(), block))).toEqual(ts);
    }
  });

  it('spends about a byte per regular timestamp and per slowly changing value', () => {
    const builder = new BlockBuilder();
    const ids = new Map([
      ['temperature_c', 1],
      ['vibration_rms', 2],
    ]);
    for (let i = 0; i < 360; i++) {
      builder.add(
        1_700_000_000_000 + i * 10_000,
        { temperature_c: 40 + (i % 7) / 100, vibration_rms: 0.5 + (i % 5) / 1000 },
        (name) => ids.get(name)!,
      );
    }
    const bytes = encodeChunk(new ByteWriter(), builder.build()).length;
    expect(bytes / 360).toBeLessThan(3.2);
  });

  it('refuses truncated or unknown data instead of inventing readings', () => {
    const builder = new BlockBuilder();
    for (let i = 0; i < 10; i++) builder.add(i * 1000, { v: i / 10 }, () => 1);
    const bytes = Buffer.from(encodeChunk(new ByteWriter(), builder.build()));
    expect(() => decodeChunk(bytes.subarray(0, bytes.length - 1))).toThrow(CorruptDataError);
    expect(() => decodeChunk(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(CorruptDataError);
    expect(() => decodeChunk(Buffer.from([9, ...bytes.subarray(1)]))).toThrow(/unknown chunk version 9/);
  });
});

describe('blocks', () => {
  const block = (ts: number[], columns: Record<number, number[]>): Block => ({
    ts,
    columns: new Map(Object.entries(columns).map(([id, values]) => [Number(id), Float64Array.from(values)])),
  });

  it('builds columns from readings with different metrics', () => {
    const builder = new BlockBuilder();
    const ids: Record<string, number> = { a: 1, b: 2 };
    builder.add(10, { a: 1 }, (name) => ids[name]);
    builder.add(20, { b: 2 }, (name) => ids[name]);
    builder.add(30, { a: 3, b: 4 }, (name) => ids[name]);
    expectSameBlock(builder.build(), block([10, 20, 30], { 1: [1, Number.NaN, 3], 2: [Number.NaN, 2, 4] }));
  });

  it('decodes interleaved chunks into one block in time order, keeping each value with its reading', () => {
    const encode = (part: Block) => Buffer.from(encodeChunk(new ByteWriter(), part));
    const early = encode(block([10, 30, 50], { 1: [1, 3, 5] }));
    const late = encode(block([20, 40], { 1: [2, 4], 2: [-2, -4] }));
    const tail = encode(block([60], { 2: [-6.5] }));
    expect([early, late, tail].map(chunkLength)).toEqual([3, 2, 1]);
    const expected = block([10, 20, 30, 40, 50, 60], {
      1: [1, 2, 3, 4, 5, Number.NaN],
      2: [Number.NaN, -2, Number.NaN, -4, Number.NaN, -6.5],
    });
    expectSameBlock(decodeChunks([tail, early, late]), expected);
    expectSameBlock(decodeChunks([early, late, tail]), expected);
    expectSameBlock(
      decodeChunks([block([10, 30, 50], { 1: [1, 3, 5] }), block([60], { 2: [-6.5] })].map(encode)),
      {
        ts: [10, 30, 50, 60],
        columns: new Map([
          [1, Float64Array.from([1, 3, 5, Number.NaN])],
          [2, Float64Array.from([Number.NaN, Number.NaN, Number.NaN, -6.5])],
        ]),
      },
    );
  });

  it('cuts a block at a time', () => {
    const whole = block([10, 20, 30], { 1: [1, 2, 3] });
    expectSameBlock(sliceFrom(whole, 15), block([20, 30], { 1: [2, 3] }));
    expectSameBlock(sliceFrom(whole, 10), whole);
    expect(sliceFrom(whole, 31).ts).toEqual([]);
  });
});
