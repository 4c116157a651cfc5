/**
 * Rows for `copyBinary` already encoded: `rows` tuples of COPY's binary format (each a field count, then each field
 * as its length and bytes), without the file header and trailer, which the database adds around the chunks.
 */
export interface CopyChunk {
  bytes: Buffer;
  rows: number;
}

/** Bytes per chunk: one socket write per chunk (one per row would cost more than the COPY itself). */
export const COPY_CHUNK_BYTES = 262_144;

/** The binary COPY file's header (signature, flags, no header extension) and trailer (a field count of -1). */
export const BINARY_COPY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const BINARY_COPY_TRAILER = Buffer.from([0xff, 0xff]);

/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds: a binary timestamptz counts microseconds from it. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 4_294_967_296;
/** A binary jsonb value is a version byte (1) before the JSON text. */
const JSONB_VERSION = 1;
const TEXT_OID = 25;

/**
 * Writes rows in COPY's binary format straight into chunk buffers. PostgreSQL then parses no text for numbers,
 * timestamps and arrays (a timestamptz is 8 bytes instead of a date to parse: the COPY costs the server about a
 * fifth less than text), and the writer formats no number as text. A row is begun with an upper bound of its size
 * in bytes; a row larger than a chunk starts a larger one (which the rows after it fill on).
 *
 * This is the processor's hot path (a dozen fields per reading): lengths and short ASCII texts are stored byte by
 * byte, which costs a fraction of `Buffer#writeInt32BE`, `Buffer#write` and `Buffer#copy` for a few bytes (each a
 * call with argument checks, the latter two into native code); longer or non-ASCII texts still go through them.
 */
export class BinaryCopyWriter {
  private buf: Buffer;
  private at = 0;
  private rows = 0;

  /** `firstBytes`: a smaller first chunk for a few rows (a 256 kB buffer per small batch is memory V8 counts against its heap). */
  constructor(
    private readonly size = COPY_CHUNK_BYTES,
    firstBytes = size,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(size, firstBytes));
  }

  /** Starts a row of `fields` fields and at most `maxBytes` bytes (see `BINARY_FIELD`); returns the full chunk it could not fit in, if any. */
  beginRow(fields: number, maxBytes: number): CopyChunk | undefined {
    let full: CopyChunk | undefined;
    if (this.at + maxBytes + 2 > this.buf.length) {
      full = this.finish();
      this.buf = Buffer.allocUnsafe(Math.max(this.size, maxBytes + 2));
    }
    const b = this.buf;
    const at = this.at;
    b[at] = fields >>> 8;
    b[at + 1] = fields & 0xff;
    this.at = at + 2;
    this.rows++;
    return full;
  }

  null(): void {
    this.at = int32(this.buf, this.at, -1);
  }

  /** bigint (an integer within ±2^53). */
  int8(n: number): void {
    this.at = int32(this.buf, this.at, 8);
    this.int64(n);
  }

  float8(n: number | null): void {
    if (n === null) return this.null();
    this.at = this.buf.writeDoubleBE(n, int32(this.buf, this.at, 8));
  }

  /** real: the nearest single-precision value, as PostgreSQL rounds a text value. */
  float4(n: number): void {
    this.at = this.buf.writeFloatBE(n, int32(this.buf, this.at, 4));
  }

  bool(b: boolean | null): void {
    if (b === null) return this.null();
    this.at = int32(this.buf, this.at, 1);
    this.buf[this.at++] = b ? 1 : 0;
  }

  /** timestamptz from epoch milliseconds. */
  timestamptz(ms: number): void {
    this.at = int32(this.buf, this.at, 8);
    this.int64((ms - PG_EPOCH_MS) * 1000);
  }

  /** text (or any type whose binary form is its text: varchar) already encoded as UTF-8. */
  bytes(src: Buffer): void {
    const b = this.buf;
    const n = src.length;
    let at = int32(b, this.at, n);
    if (n > SHORT_BYTES) {
      this.at = at + src.copy(b, at);
      return;
    }
    for (let i = 0; i < n; i++) b[at++] = src[i]!;
    this.at = at;
  }

  text(s: string | null): void {
    if (s === null) return this.null();
    const start = this.at;
    const n = utf8Into(this.buf, s, start + 4);
    int32(this.buf, start, n);
    this.at = start + 4 + n;
  }

  /** jsonb from its JSON text (a string, or bytes encoded once and written row after row). */
  jsonb(json: string | Buffer | null): void {
    if (json === null) return this.null();
    if (typeof json !== 'string') {
      this.at = int32(this.buf, this.at, json.length + 1);
      this.buf[this.at++] = JSONB_VERSION;
      this.at += json.copy(this.buf, this.at);
      return;
    }
    const start = this.at;
    this.buf[start + 4] = JSONB_VERSION;
    const n = utf8Into(this.buf, json, start + 5);
    int32(this.buf, start, n + 1);
    this.at = start + 5 + n;
  }

  /** text[] of one dimension (no NULL elements). */
  textArray(items: readonly string[]): void {
    const b = this.buf;
    const start = this.at;
    let at = start + 4;
    at = int32(b, at, items.length === 0 ? 0 : 1); // dimensions
    at = int32(b, at, 0); // no NULL element
    at = int32(b, at, TEXT_OID);
    if (items.length > 0) {
      at = int32(b, at, items.length);
      at = int32(b, at, 1); // lower bound
      for (const item of items) {
        const n = utf8Into(b, item, at + 4);
        int32(b, at, n);
        at += 4 + n;
      }
    }
    int32(b, start, at - start - 4);
    this.at = at;
  }

  /** The rows written since the last chunk was handed out (undefined when none); the next row starts a new chunk. */
  finish(): CopyChunk | undefined {
    const chunk = this.rows > 0 ? { bytes: this.buf.subarray(0, this.at), rows: this.rows } : undefined;
    this.buf = EMPTY;
    this.at = 0;
    this.rows = 0;
    return chunk;
  }

  private int64(n: number): void {
    const high = Math.floor(n / TWO_32);
    const at = int32(this.buf, this.at, high);
    this.at = int32(this.buf, at, n - high * TWO_32);
  }
}

/** Up to this many bytes or characters are copied one by one rather than through `Buffer#copy` / `Buffer#write`. */
const SHORT_BYTES = 48;

/** Stores the low 32 bits of `n` big-endian at `at` (signed or unsigned alike); returns the position after them. */
function int32(b: Buffer, at: number, n: number): number {
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
  return at + 4;
}

/** Writes `s` as UTF-8 at `at` (room for `utf8Bound(s)` bytes must be there); returns the bytes written. */
function utf8Into(b: Buffer, s: string, at: number): number {
  const n = s.length;
  if (n > SHORT_BYTES) return b.write(s, at, 'utf8');
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return b.write(s, at, 'utf8'); // from the start: the bytes written so far are the same
    b[at + i] = c;
  }
  return n;
}

/**
 * Upper bounds of a field's size in a row (its 4-byte length included), for `beginRow`: fixed-size fields,
 * and for text the UTF-8 bound of its characters.
 */
export const BINARY_FIELD = {
  int8: 12,
  float8: 12,
  float4: 8,
  bool: 5,
  timestamptz: 12,
  bytes: (b: Buffer): number => 4 + b.length,
  text: (s: string | null): number => 4 + (s === null ? 0 : utf8Bound(s)),
  jsonb: (json: string | Buffer | null): number => 5 + (json === null ? 0 : typeof json === 'string' ? utf8Bound(json) : json.length),
  textArray: (items: readonly string[]): number => 24 + items.reduce((n, s) => n + 4 + utf8Bound(s), 0),
} as const;

const EMPTY = Buffer.alloc(0);

/** Upper bound of the UTF-8 size of a string. */
export const utf8Bound = (s: string): number => s.length * 3;
