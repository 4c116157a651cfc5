/** Rows for COPY already encoded: `rows` COPY text lines as UTF-8 bytes, each ending in a newline. */
export interface CopyChunk {
  bytes: Buffer;
  rows: number;
}

/** Bytes per chunk: one socket write per chunk (one per row would cost more than the COPY itself). */
export const COPY_CHUNK_BYTES = 262_144;

/**
 * Writes COPY text lines straight into chunk buffers: no string per line (a line of 12 fields joined with `+`
 * is a tree of ~23 string parts, flattened and encoded again before it reaches the socket). A row is begun with
 * an upper bound of its size in bytes; a row larger than a chunk starts a larger one (which the rows after it fill on).
 */
export class CopyChunkWriter {
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

  /** Starts a row of at most `maxBytes`; returns the full chunk it could not fit in, if any. */
  beginRow(maxBytes: number): CopyChunk | undefined {
    if (this.at + maxBytes <= this.buf.length) return undefined;
    const full = this.finish();
    this.buf = Buffer.allocUnsafe(Math.max(this.size, maxBytes));
    return full;
  }

  endRow(): void {
    this.buf[this.at++] = NEWLINE;
    this.rows++;
  }

  /** Text known to be ASCII (numbers, timestamps, flag names): one byte per character. */
  ascii(s: string): void {
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** Any text, as UTF-8 (at most 3 bytes per UTF-16 unit). */
  utf8(s: string): void {
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** Bytes encoded once and written row after row. */
  bytes(b: Buffer): void {
    this.at += b.copy(this.buf, this.at);
  }

  tab(): void {
    this.buf[this.at++] = TAB;
  }

  /** The rows written since the last chunk was handed out (undefined when none); the next row starts a new chunk. */
  finish(): CopyChunk | undefined {
    const chunk = this.rows > 0 ? { bytes: this.buf.subarray(0, this.at), rows: this.rows } : undefined;
    this.buf = EMPTY;
    this.at = 0;
    this.rows = 0;
    return chunk;
  }
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = 10;
const TAB = 9;

/** Upper bound of the UTF-8 size of a string. */
export const utf8Bound = (s: string): number => s.length * 3;
