import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARY_FIELD, BinaryCopyWriter, type CopyChunk } from '../../src/infra/db/copy-chunks.js';
import type { Db } from '../../src/infra/db/db.js';

interface Row {
  id: number;
  name: string | null;
  at: Date;
  x: number | null;
  r: number;
  ok: boolean | null;
  doc: string | null;
  tags: string[];
}

const COLUMNS = ['id', 'name', 'at', 'x', 'r', 'ok', 'doc', 'tags'];

/** Rows as the measurement repository writes them, into chunks of `size` bytes. */
function encode(rows: Row[], size: number): CopyChunk[] {
  const out = new BinaryCopyWriter(size);
  const chunks: CopyChunk[] = [];
  for (const row of rows) {
    const full = out.beginRow(
      COLUMNS.length,
      BINARY_FIELD.int8 + BINARY_FIELD.text(row.name) + BINARY_FIELD.timestamptz + BINARY_FIELD.float8 + BINARY_FIELD.float4 +
        BINARY_FIELD.bool + BINARY_FIELD.jsonb(row.doc) + BINARY_FIELD.textArray(row.tags),
    );
    if (full) chunks.push(full);
    out.int8(row.id);
    out.text(row.name);
    out.timestamptz(row.at.getTime());
    out.float8(row.x);
    out.float4(row.r);
    out.bool(row.ok);
    out.jsonb(row.doc === null ? null : row.id % 2 === 0 ? row.doc : Buffer.from(row.doc));
    out.textArray(row.tags);
  }
  const rest = out.finish();
  if (rest) chunks.push(rest);
  return chunks;
}

const ROWS: Row[] = [
  { id: 1, name: 'caudal', at: new Date('2026-12-05T10:00:00.123Z'), x: 12.3, r: 0.85, ok: true, doc: '{"kind":"flow","scale":1}', tags: [] },
  // Beyond 32 bits; before 2000 and before 1970 (negative microseconds); text of several UTF-8 widths.
  { id: 2 ** 40 + 7, name: 'señal — débil 💧', at: new Date('1999-12-31T23:59:59.999Z'), x: -0.1, r: 1, ok: false, doc: '"12,5"', tags: ['after_gap'] },
  { id: 3, name: null, at: new Date('1969-07-20T20:17:40Z'), x: null, r: 0, ok: null, doc: null, tags: ['suspect_drop', 'out_of_range', 'ñandú'] },
  { id: -4, name: '', at: new Date('2100-01-01T00:00:00Z'), x: 1e300, r: 0.1, ok: true, doc: '{"raw":"x\\ty\\nz"}', tags: ['a'] },
  // A row larger than the chunk size asked for starts a larger chunk.
  { id: 5, name: 'x'.repeat(300), at: new Date(0), x: Number.MAX_SAFE_INTEGER, r: 3.4e38, ok: false, doc: JSON.stringify({ long: 'y'.repeat(200) }), tags: [] },
  { id: 6, name: 'nivel', at: new Date('2026-01-01T00:00:00Z'), x: 5e-324, r: -2.5, ok: true, doc: '[1,2,3]', tags: [] },
];

/**
 * COPY's binary format as BinaryCopyWriter writes it and `Db.copyBinary` loads it: every type the measurements
 * use, NULLs, edge values, and chunk boundaries (a row larger than a chunk). Run against each database.
 */
export function describeBinaryCopyContract(label: string, open: () => Promise<Db>): void {
  describe(`binary COPY: ${label}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await open();
      await db.exec('CREATE TABLE copy_binary_t (id bigint PRIMARY KEY, name text, at timestamptz, x float8, r real, ok boolean, doc jsonb, tags text[])');
    });
    afterAll(async () => db.close());

    it('loads every type exactly, across chunks, and counts the rows', async () => {
      const chunks = encode(ROWS, 256);
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.reduce((n, c) => n + c.rows, 0)).toBe(ROWS.length);
      expect(await db.copyBinary('copy_binary_t', COLUMNS, chunks)).toBe(ROWS.length);
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT id::text, name, (extract(epoch FROM at) * 1000)::float8 AS ms, x, r::float8 AS r, ok, doc, tags FROM copy_binary_t ORDER BY copy_binary_t.id`,
      );
      const expected = [...ROWS].sort((a, b) => a.id - b.id).map((row) => ({
        id: String(row.id),
        name: row.name,
        ms: row.at.getTime(),
        x: row.x,
        r: Math.fround(row.r),
        ok: row.ok,
        doc: row.doc === null ? null : (JSON.parse(row.doc) as unknown),
        tags: row.tags,
      }));
      expect(rows.map((r) => ({ ...r, ms: Number(r.ms), x: r.x === null ? null : Number(r.x), r: Number(r.r) }))).toEqual(expected);
    });

    it('loads nothing from no chunks, is part of its transaction, and fails whole with the SQLSTATE of a duplicate key', async () => {
      await db.exec('TRUNCATE copy_binary_t');
      expect(await db.copyBinary('copy_binary_t', COLUMNS, [])).toBe(0);
      await db.transaction(async (tx) => {
        await tx.copyBinary('copy_binary_t', COLUMNS, encode(ROWS.slice(0, 2), 1024));
        await tx.exec('SAVEPOINT s');
        await expect(tx.copyBinary('copy_binary_t', COLUMNS, encode(ROWS.slice(1, 3), 1024))).rejects.toMatchObject({ code: '23505' });
        await tx.exec('ROLLBACK TO SAVEPOINT s');
      });
      const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM copy_binary_t');
      expect(n.rows[0]!.n).toBe(2);
    });
  });
}
