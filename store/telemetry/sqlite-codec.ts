/**
 * The binary encoding of the SQLite telemetry store: a block of one series' readings (a hot row holds
 * those of one write, a sealed chunk those of a whole window), column by column: timestamps as
 * delta-of-delta, each metric as decimal-scaled integer deltas (raw float64 when no scale up to 10^6
 * reproduces every value exactly), all as zigzag varints, with a presence bitmap for metrics some
 * readings lack. Decoding gives back the very same doubles that were encoded.
 */

/** Readings of one series in ascending time order (no two with the same timestamp), stored by column. */
export interface Block {
  ts: number[];
  /** Metric id → one value per timestamp; NaN where that reading lacks the metric. */
  columns: Map<number, Float64Array>;
}

/** Thrown when stored bytes cannot be decoded: the file is damaged or was written by something else. */
export class CorruptDataError extends Error {
  constructor(what: string) {
    super(`corrupt telemetry data: ${what}`);
    this.name = 'CorruptDataError';
  }
}

const CHUNK_VERSION = 1;
/** Value encoding tag for a raw float64 (scales 0..6 use their own number as tag). */
const RAW = 7;
const SPARSE = 0x10;
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
const MAX_SCALE = POW10.length - 1;
/**
 * Scaled values and timestamps stay below 2^50 so that their deltas, deltas of deltas and zigzag forms
 * remain exactly representable doubles (at most 2^53).
 */
export const MAX_ENCODABLE = 2 ** 50;

/** The smallest k in 0..6 such that round(value·10^k)/10^k gives back `value` exactly, or RAW. */
export function decimalScale(value: number): number {
  // -0 would come back as 0; the raw encoding keeps its sign.
  if (value === 0) return Object.is(value, -0) ? RAW : 0;
  for (let k = 0; k <= MAX_SCALE; k++) {
    const scaled = value * POW10[k];
    if (Math.abs(scaled) >= MAX_ENCODABLE) return RAW;
    if (Math.round(scaled) / POW10[k] === value) return k;
  }
  return RAW;
}

/** Is `value` reproduced exactly by scale `k`? */
function fitsScale(value: number, k: number): boolean {
  if (Object.is(value, -0)) return false;
  const scaled = value * POW10[k];
  return Math.abs(scaled) < MAX_ENCODABLE && Math.round(scaled) / POW10[k] === value;
}

/** A growable byte buffer with varint, zigzag and float64 writers; reused between encodings. */
export class ByteWriter {
  #bytes = Buffer.allocUnsafe(256);
  #length = 0;

  /** Starts over, keeping the allocated memory. */
  reset(): this {
    this.#length = 0;
    return this;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#length + extra));
    this.#bytes.copy(grown, 0, 0, this.#length);
    this.#bytes = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  /** Unsigned LEB128 of a non-negative integer up to 2^53. */
  uint(value: number): void {
    this.#reserve(8);
    const bytes = this.#bytes;
    let n = value;
    while (n >= 0x80_00_00_00) {
      bytes[this.#length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    while (n >= 0x80) {
      bytes[this.#length++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    bytes[this.#length++] = n;
  }

  /** Zigzag varint of an integer whose magnitude is below 2^52. */
  int(value: number): void {
    this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float(value: number): void {
    this.#reserve(8);
    this.#bytes.writeDoubleLE(value, this.#length);
    this.#length += 8;
  }

  /** The bytes written so far; valid until the next write or reset (SQLite copies bound blobs). */
  view(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }
}

/** Reads what ByteWriter wrote, refusing to run past the end. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.#pos >= this.#bytes.length;
  }

  byte(): number {
    if (this.#pos >= this.#bytes.length) throw new CorruptDataError('unexpected end of record');
    return this.#bytes[this.#pos++];
  }

  uint(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * factor;
      if (b < 0x80) return result;
      factor *= 0x80;
    }
    throw new CorruptDataError('varint longer than 8 bytes');
  }

  int(): number {
    const zigzag = this.uint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  float(): number {
    if (this.#pos + 8 > this.#bytes.length) throw new CorruptDataError('unexpected end of record');
    const value = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return value;
  }

  bytes(length: number): Uint8Array {
    if (this.#pos + length > this.#bytes.length) throw new CorruptDataError('unexpected end of record');
    const slice = this.#bytes.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return slice;
  }
}

/** Collects readings (in ascending, distinct time order) into a Block. */
export class BlockBuilder {
  readonly #ts: number[] = [];
  readonly #columns = new Map<number, number[]>();

  get size(): number {
    return this.#ts.length;
  }

  /** Appends one reading; its timestamp must be later than the previous one. */
  add(ts: number, metrics: Readonly<Record<string, number>>, idOf: (metric: string) => number): void {
    const row = this.#ts.length;
    this.#ts.push(ts);
    for (const name in metrics) {
      const id = idOf(name);
      let column = this.#columns.get(id);
      if (!column) {
        column = new Array<number>(row).fill(Number.NaN);
        this.#columns.set(id, column);
      }
      column.push(metrics[name]);
    }
    for (const column of this.#columns.values()) if (column.length === row) column.push(Number.NaN);
  }

  build(): Block {
    const columns = new Map<number, Float64Array>();
    for (const [id, values] of this.#columns) columns.set(id, Float64Array.from(values));
    return { ts: this.#ts, columns };
  }
}

/** The one scale that reproduces every present value of a column, or RAW. */
function columnScale(values: Float64Array): number {
  let k = 0;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    const own = decimalScale(value);
    if (own === RAW) return RAW;
    if (own > k) k = own;
  }
  // A value exact at its own scale is nearly always exact at a larger one too; check rather than assume.
  for (; k <= MAX_SCALE; k++) {
    let fits = true;
    for (const value of values) {
      if (!Number.isNaN(value) && !fitsScale(value, k)) {
        fits = false;
        break;
      }
    }
    if (fits) return k;
  }
  return RAW;
}

/**
 * Encodes a block as a sealed chunk:
 * version, count, timestamps (first, first delta, then deltas of deltas), column count, and per column:
 * metric id, encoding tag (scale or RAW, plus SPARSE), presence bitmap if sparse, then the present values
 * as zigzag deltas of scaled integers (or raw float64s). Columns with no value are left out.
 */
export function encodeChunk(writer: ByteWriter, block: Block): Buffer {
  const { ts, columns } = block;
  const n = ts.length;
  writer.reset();
  writer.byte(CHUNK_VERSION);
  writer.uint(n);
  let previous = 0;
  let previousDelta = 0;
  for (let i = 0; i < n; i++) {
    const delta = ts[i] - previous;
    writer.int(i < 2 ? delta : delta - previousDelta);
    previousDelta = i === 0 ? 0 : delta;
    previous = ts[i];
  }
  const present = [...columns].filter(([, values]) => values.some((value) => !Number.isNaN(value)));
  writer.uint(present.length);
  for (const [id, values] of present) {
    writer.uint(id);
    const k = columnScale(values);
    const count = values.reduce((sum, value) => (Number.isNaN(value) ? sum : sum + 1), 0);
    writer.byte(count < n ? k | SPARSE : k);
    if (count < n) {
      for (let i = 0; i < n; i += 8) {
        let bits = 0;
        for (let j = 0; j < 8 && i + j < n; j++) if (!Number.isNaN(values[i + j])) bits |= 1 << j;
        writer.byte(bits);
      }
    }
    let previousScaled = 0;
    for (const value of values) {
      if (Number.isNaN(value)) continue;
      if (k === RAW) {
        writer.float(value);
      } else {
        const scaled = Math.round(value * POW10[k]);
        writer.int(scaled - previousScaled);
        previousScaled = scaled;
      }
    }
  }
  return writer.view();
}

function readChunkTimestamps(reader: ByteReader): number[] {
  const version = reader.byte();
  if (version !== CHUNK_VERSION) throw new CorruptDataError(`unknown chunk version ${version}`);
  const n = reader.uint();
  const ts = new Array<number>(n);
  let previous = 0;
  let delta = 0;
  for (let i = 0; i < n; i++) {
    delta = i < 2 ? reader.int() : delta + reader.int();
    previous += delta;
    ts[i] = previous;
  }
  return ts;
}

/** Only the timestamps of a chunk (cheaper than a full decode, for duplicate checks). */
export function decodeChunkTimestamps(bytes: Uint8Array): number[] {
  return readChunkTimestamps(new ByteReader(bytes));
}

export function decodeChunk(bytes: Uint8Array): Block {
  const reader = new ByteReader(bytes);
  const ts = readChunkTimestamps(reader);
  const n = ts.length;
  const columnCount = reader.uint();
  const columns = new Map<number, Float64Array>();
  for (let c = 0; c < columnCount; c++) {
    const id = reader.uint();
    const tag = reader.byte();
    const k = tag & ~SPARSE;
    if (k > RAW) throw new CorruptDataError(`unknown column encoding ${tag}`);
    const bitmap = tag & SPARSE ? reader.bytes(Math.ceil(n / 8)) : null;
    const values = new Float64Array(n);
    let scaled = 0;
    for (let i = 0; i < n; i++) {
      if (bitmap && !(bitmap[i >> 3] & (1 << (i & 7)))) {
        values[i] = Number.NaN;
      } else if (k === RAW) {
        values[i] = reader.float();
      } else {
        scaled += reader.int();
        values[i] = scaled / POW10[k];
      }
    }
    columns.set(id, values);
  }
  if (!reader.done) throw new CorruptDataError('trailing bytes after the last column');
  return { ts, columns };
}

/** Combines blocks whose timestamps are all distinct into one block in time order. */
export function combineBlocks(blocks: readonly Block[]): Block {
  const parts = blocks.filter((block) => block.ts.length > 0);
  if (parts.length === 0) return { ts: [], columns: new Map() };
  if (parts.length === 1) return parts[0];
  const n = parts.reduce((sum, block) => sum + block.ts.length, 0);
  const ts = new Array<number>(n);
  const fromPart = new Uint32Array(n);
  const fromRow = new Uint32Array(n);
  let out = 0;
  let ordered = true;
  parts.forEach((block, p) => {
    if (out > 0 && block.ts[0] <= ts[out - 1]) ordered = false;
    for (let row = 0; row < block.ts.length; row++, out++) {
      ts[out] = block.ts[row];
      fromPart[out] = p;
      fromRow[out] = row;
    }
  });
  // Parts usually follow each other in time; only stragglers make them interleave.
  const order = ordered ? null : Array.from({ length: n }, (_, i) => i).sort((a, b) => ts[a] - ts[b]);
  const columns = new Map<number, Float64Array>();
  for (const id of new Set(parts.flatMap((block) => [...block.columns.keys()]))) {
    const sources = parts.map((block) => block.columns.get(id));
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const at = order ? order[i] : i;
      const source = sources[fromPart[at]];
      values[i] = source ? source[fromRow[at]] : Number.NaN;
    }
    columns.set(id, values);
  }
  return { ts: order ? order.map((i) => ts[i]) : ts, columns };
}

/** The readings of a block at or after `from`. */
export function sliceFrom(block: Block, from: number): Block {
  let start = 0;
  while (start < block.ts.length && block.ts[start] < from) start++;
  if (start === 0) return block;
  const columns = new Map<number, Float64Array>();
  for (const [id, values] of block.columns) columns.set(id, values.slice(start));
  return { ts: block.ts.slice(start), columns };
}
