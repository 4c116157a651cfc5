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
    this.at = this.buf.writeInt16BE(fields, this.at);
    this.rows++;
    return full;
  }

  null(): void {
    this.at = this.buf.writeInt32BE(-1, this.at);
  }

  /** bigint (an integer within ±2^53). */
  int8(n: number): void {
    this.at = this.buf.writeInt32BE(8, this.at);
    this.int64(n);
  }

  float8(n: number | null): void {
    if (n === null) return this.null();
    this.at = this.buf.writeInt32BE(8, this.at);
    this.at = this.buf.writeDoubleBE(n, this.at);
  }

  /** real: the nearest single-precision value, as PostgreSQL rounds a text value. */
  float4(n: number): void {
    this.at = this.buf.writeInt32BE(4, this.at);
    this.at = this.buf.writeFloatBE(n, this.at);
  }

  bool(b: boolean | null): void {
    if (b === null) return this.null();
    this.at = this.buf.writeInt32BE(1, this.at);
    this.buf[this.at++] = b ? 1 : 0;
  }

  /** timestamptz from epoch milliseconds. */
  timestamptz(ms: number): void {
    this.at = this.buf.writeInt32BE(8, this.at);
    this.int64((ms - PG_EPOCH_MS) * 1000);
  }

  /** text (or any type whose binary form is its text: varchar) already encoded as UTF-8. */
  bytes(b: Buffer): void {
    this.at = this.buf.writeInt32BE(b.length, this.at);
    this.at += b.copy(this.buf, this.at);
  }

  text(s: string | null): void {
    if (s === null) return this.null();
    const start = this.at;
    const n = this.buf.write(s, start + 4, 'utf8');
    this.buf.writeInt32BE(n, start);
    this.at = start + 4 + n;
  }

  /** jsonb from its JSON text (a string, or bytes encoded once and written row after row). */
  jsonb(json: string | Buffer | null): void {
    if (json === null) return this.null();
    const start = this.at;
    this.buf[start + 4] = JSONB_VERSION;
    const n = typeof json === 'string' ? this.buf.write(json, start + 5, 'utf8') : json.copy(this.buf, start + 5);
    this.buf.writeInt32BE(n + 1, start);
    this.at = start + 5 + n;
  }

  /** text[] of one dimension (no NULL elements). */
  textArray(items: readonly string[]): void {
    const b = this.buf;
    const start = this.at;
    let at = start + 4;
    at = b.writeInt32BE(items.length === 0 ? 0 : 1, at); // dimensions
    at = b.writeInt32BE(0, at); // no NULL element
    at = b.writeInt32BE(TEXT_OID, at);
    if (items.length > 0) {
      at = b.writeInt32BE(items.length, at);
      at = b.writeInt32BE(1, at); // lower bound
      for (const item of items) {
        const n = b.write(item, at + 4, 'utf8');
        b.writeInt32BE(n, at);
        at += 4 + n;
      }
    }
    b.writeInt32BE(at - start - 4, start);
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
    this.at = this.buf.writeInt32BE(high, this.at);
    this.at = this.buf.writeUInt32BE(n - high * TWO_32, this.at);
  }
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
