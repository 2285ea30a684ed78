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
const MAX_ENCODABLE = 2 ** 50;

/** Is `value` reproduced exactly by round(value·10^k)/10^k, within the exact range? -0 never is. */
function fitsScale(value: number, k: number): boolean {
  if (Object.is(value, -0)) return false;
  const scaled = value * POW10[k];
  return Math.abs(scaled) < MAX_ENCODABLE && Math.round(scaled) / POW10[k] === value;
}

/** The smallest k in 0..6 such that round(value·10^k)/10^k gives back `value` exactly, or RAW (7). */
export function decimalScale(value: number): number {
  for (let k = 0; k <= MAX_SCALE; k++) if (fitsScale(value, k)) return k;
  return RAW;
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

  get length(): number {
    return this.#length;
  }

  /** Drops what was written after `length` bytes. */
  truncate(length: number): void {
    this.#length = Math.min(length, this.#length);
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
  #columns = new Map<number, Float64Array>();
  #capacity: number;

  /** `capacity`: readings expected; more are fine. */
  constructor(capacity = 64) {
    this.#capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.#ts.length;
  }

  /** Appends one reading; its timestamp must be later than the previous one. */
  add(ts: number, metrics: Readonly<Record<string, number>>, idOf: (metric: string) => number): void {
    const row = this.#ts.length;
    if (row === this.#capacity) this.#grow();
    this.#ts.push(ts);
    for (const name in metrics) {
      const id = idOf(name);
      let column = this.#columns.get(id);
      if (!column) {
        column = new Float64Array(this.#capacity).fill(Number.NaN);
        this.#columns.set(id, column);
      }
      column[row] = metrics[name];
    }
  }

  #grow(): void {
    this.#capacity *= 2;
    const grown = new Map<number, Float64Array>();
    for (const [id, values] of this.#columns) {
      const column = new Float64Array(this.#capacity).fill(Number.NaN);
      column.set(values);
      grown.set(id, column);
    }
    this.#columns = grown;
  }

  build(): Block {
    const n = this.#ts.length;
    const columns = new Map<number, Float64Array>();
    for (const [id, values] of this.#columns)
      columns.set(id, n === values.length ? values : values.subarray(0, n));
    return { ts: this.#ts, columns };
  }
}

/**
 * The smallest scale at which every present value of a column fits, or RAW. One check per value in the
 * common case: only a value that needs more decimals than those before it searches for its own scale.
 */
function columnScale(values: Float64Array): number {
  let k = 0;
  for (const value of values) {
    if (Number.isNaN(value) || fitsScale(value, k)) continue;
    k = Math.max(k, decimalScale(value));
    if (k === RAW) return RAW;
  }
  return k;
}

/**
 * Writes one column's values at scale `k`; false (with bytes written) when a value does not come back
 * exactly at that scale, as can happen for a value that fitted a smaller one.
 */
function writeValues(writer: ByteWriter, values: Float64Array, k: number): boolean {
  if (k === RAW) {
    for (const value of values) if (!Number.isNaN(value)) writer.float(value);
    return true;
  }
  const scale = POW10[k];
  let previous = 0;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    const scaled = Math.round(value * scale);
    if (scaled / scale !== value || Math.abs(scaled) >= MAX_ENCODABLE) return false;
    writer.int(scaled - previous);
    previous = scaled;
  }
  return true;
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
    let count = 0;
    for (const value of values) if (!Number.isNaN(value)) count++;
    const start = writer.length;
    for (let k = columnScale(values); ; k = k < MAX_SCALE ? k + 1 : RAW) {
      writer.truncate(start);
      writer.byte(count < n ? k | SPARSE : k);
      if (count < n) {
        for (let i = 0; i < n; i += 8) {
          let bits = 0;
          for (let j = 0; j < 8 && i + j < n; j++) if (!Number.isNaN(values[i + j])) bits |= 1 << j;
          writer.byte(bits);
        }
      }
      if (writeValues(writer, values, k)) break;
    }
  }
  return writer.view();
}

/** Reads a chunk's header; returns how many readings it holds. */
function readCount(reader: ByteReader): number {
  const version = reader.byte();
  if (version !== CHUNK_VERSION) throw new CorruptDataError(`unknown chunk version ${version}`);
  return reader.uint();
}

/** Reads `n` timestamps into `ts` from `offset` on. */
function readTimestamps(reader: ByteReader, n: number, ts: number[], offset: number): void {
  let previous = 0;
  let delta = 0;
  for (let i = 0; i < n; i++) {
    delta = i < 2 ? reader.int() : delta + reader.int();
    previous += delta;
    ts[offset + i] = previous;
  }
}

/** How many readings a chunk holds (reads only its header). */
export function chunkLength(bytes: Uint8Array): number {
  return readCount(new ByteReader(bytes));
}

/** Only the timestamps of a chunk (cheaper than a full decode, for duplicate checks). */
export function decodeChunkTimestamps(bytes: Uint8Array): number[] {
  const reader = new ByteReader(bytes);
  const n = readCount(reader);
  const ts = new Array<number>(n);
  readTimestamps(reader, n, ts, 0);
  return ts;
}

/**
 * Decodes chunks of one series, whose timestamps are all distinct, into one block in time order: the
 * readings of each chunk go straight into shared columns, and are sorted only if the chunks interleave.
 */
export function decodeChunks(chunks: readonly Uint8Array[]): Block {
  const readers = chunks.map((bytes) => new ByteReader(bytes));
  const counts = readers.map(readCount);
  const total = counts.reduce((sum, n) => sum + n, 0);
  const ts = new Array<number>(total);
  const columns = new Map<number, Float64Array>();
  let offset = 0;
  let ordered = true;
  readers.forEach((reader, c) => {
    const n = counts[c];
    readTimestamps(reader, n, ts, offset);
    if (offset > 0 && n > 0 && ts[offset] <= ts[offset - 1]) ordered = false;
    const columnCount = reader.uint();
    for (let column = 0; column < columnCount; column++) {
      const id = reader.uint();
      let values = columns.get(id);
      if (!values) {
        values = new Float64Array(total).fill(Number.NaN);
        columns.set(id, values);
      }
      readValues(reader, n, values, offset);
    }
    if (!reader.done) throw new CorruptDataError('trailing bytes after the last column');
    offset += n;
  });
  return ordered ? { ts, columns } : sortBlock({ ts, columns });
}

export function decodeChunk(bytes: Uint8Array): Block {
  return decodeChunks([bytes]);
}

/** Reads one column's `n` entries into `values` from `offset` on, leaving absent ones as they are (NaN). */
function readValues(reader: ByteReader, n: number, values: Float64Array, offset: number): void {
  const tag = reader.byte();
  const k = tag & ~SPARSE;
  if (k > RAW) throw new CorruptDataError(`unknown column encoding ${tag}`);
  const bitmap = tag & SPARSE ? reader.bytes(Math.ceil(n / 8)) : null;
  let scaled = 0;
  for (let i = 0; i < n; i++) {
    if (bitmap && !(bitmap[i >> 3] & (1 << (i & 7)))) continue;
    if (k === RAW) {
      values[offset + i] = reader.float();
    } else {
      scaled += reader.int();
      values[offset + i] = scaled / POW10[k];
    }
  }
}

/** The block's readings in time order (stragglers written after later readings make chunks interleave). */
function sortBlock(block: Block): Block {
  const order = Array.from(block.ts, (_, i) => i).sort((a, b) => block.ts[a] - block.ts[b]);
  const columns = new Map<number, Float64Array>();
  for (const [id, values] of block.columns)
    columns.set(
      id,
      Float64Array.from(order, (i) => values[i]),
    );
  return { ts: order.map((i) => block.ts[i]), columns };
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
