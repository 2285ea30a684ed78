/**
 * Writes CSV rows straight into byte buffers: digits are put in place one by one, so hundreds of
 * millions of rows cost no string building and almost no garbage collection.
 */
import { DAY_MS } from './time.js';

const COMMA = 44;
const NEWLINE = 10;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const POWERS_OF_TEN = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
/** Longest row we expect; a chunk is handed out before it could overflow. */
const ROW_RESERVE = 1024;

export class CsvChunkWriter {
  private buffer: Buffer;
  private position = 0;
  private readonly digits = new Uint8Array(24);
  private dayStart = Number.NaN;
  private datePrefix = Buffer.alloc(0);

  constructor(private readonly chunkBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(chunkBytes + ROW_RESERVE);
  }

  /** True when the current chunk is full enough to hand out. */
  get full(): boolean {
    return this.position >= this.chunkBytes;
  }

  /** Hands out what was written so far and starts a new chunk. */
  take(): Buffer {
    const chunk = this.buffer.subarray(0, this.position);
    this.buffer = Buffer.allocUnsafe(this.chunkBytes + ROW_RESERVE);
    this.position = 0;
    return chunk;
  }

  /** Raw bytes, such as a pre-encoded `,device,model` key. */
  bytes(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  text(text: string): void {
    if (this.position + Buffer.byteLength(text) > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(this.position + Buffer.byteLength(text) + ROW_RESERVE);
      this.buffer.copy(bigger, 0, 0, this.position);
      this.buffer = bigger;
    }
    this.position += this.buffer.write(text, this.position, 'utf8');
  }

  comma(): void {
    this.buffer[this.position++] = COMMA;
  }

  newline(): void {
    this.buffer[this.position++] = NEWLINE;
  }

  /** `value` with exactly `decimals` (0–6) decimals, rounded half away from zero; NaN writes nothing. */
  fixed(value: number, decimals: number): void {
    if (Number.isNaN(value)) return;
    const { buffer, digits } = this;
    let scaled = Math.round(Math.abs(value) * POWERS_OF_TEN[decimals]);
    if (value < 0 && scaled !== 0) buffer[this.position++] = MINUS;
    let count = 0;
    do {
      digits[count++] = ZERO + (scaled % 10);
      scaled = Math.floor(scaled / 10);
    } while (scaled > 0 || count <= decimals);
    for (let i = count - 1; i >= 0; i--) {
      if (i === decimals - 1) buffer[this.position++] = DOT;
      buffer[this.position++] = digits[i];
    }
  }

  /** Epoch ms as `YYYY-MM-DDTHH:MM:SS.mmmZ`, byte for byte what `Date#toISOString` gives for years 0–9999. */
  timestamp(ms: number): void {
    let inDay = ms - this.dayStart;
    if (!(inDay >= 0 && inDay < DAY_MS)) {
      this.dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
      this.datePrefix = Buffer.from(new Date(this.dayStart).toISOString().slice(0, 11), 'latin1');
      inDay = ms - this.dayStart;
    }
    this.bytes(this.datePrefix);
    const millis = inDay % 1000;
    const seconds = (inDay - millis) / 1000;
    this.twoDigits(Math.floor(seconds / 3600));
    this.buffer[this.position++] = 58; // ':'
    this.twoDigits(Math.floor(seconds / 60) % 60);
    this.buffer[this.position++] = 58;
    this.twoDigits(seconds % 60);
    this.buffer[this.position++] = DOT;
    this.buffer[this.position++] = ZERO + Math.floor(millis / 100);
    this.twoDigits(millis % 100);
    this.buffer[this.position++] = 90; // 'Z'
  }

  private twoDigits(value: number): void {
    this.buffer[this.position++] = ZERO + Math.floor(value / 10);
    this.buffer[this.position++] = ZERO + (value % 10);
  }
}
