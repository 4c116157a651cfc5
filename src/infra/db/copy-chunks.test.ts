import { describe, expect, it } from 'vitest';
import { CopyChunkWriter, utf8Bound, type CopyChunk } from './copy-chunks.js';

/** Rows written as the measurement repository writes them: id, then a text field. */
function write(rows: [string, string][], size: number): CopyChunk[] {
  const out = new CopyChunkWriter(size);
  const chunks: CopyChunk[] = [];
  for (const [id, text] of rows) {
    const full = out.beginRow(id.length + 1 + utf8Bound(text) + 1);
    if (full) chunks.push(full);
    out.ascii(id);
    out.tab();
    out.utf8(text);
    out.endRow();
  }
  const rest = out.finish();
  if (rest) chunks.push(rest);
  return chunks;
}

describe('CopyChunkWriter', () => {
  it('writes whole lines into chunks of the size asked, or larger from a line that needs more', () => {
    const big = 'ñ'.repeat(100);
    const rows: [string, string][] = [['1', 'uno'], ['22', 'señal — débil'], ['333', big], ['4', 'cuatro'], ['5', '']];
    const chunks = write(rows, 64);
    // Every chunk ends a line; the rows counted add up; the text is the lines joined.
    expect(chunks.every((c) => c.bytes.at(-1) === 10)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.rows, 0)).toBe(rows.length);
    expect(Buffer.concat(chunks.map((c) => c.bytes)).toString('utf8')).toBe(rows.map(([id, t]) => `${id}\t${t}\n`).join(''));
    // The large line starts a larger chunk, which the lines after it fill on.
    expect(chunks.map((c) => c.rows)).toEqual([2, 3]);
    expect(chunks[0]!.bytes.length).toBeLessThanOrEqual(64);
    expect(chunks[1]!.bytes.subarray(0, 4).toString()).toBe('333\t');
  });

  it('hands out nothing when no row was written', () => {
    expect(write([], 64)).toEqual([]);
  });
});
