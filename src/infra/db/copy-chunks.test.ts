import { describe, expect, it } from 'vitest';
import { BINARY_FIELD, BinaryCopyWriter } from './copy-chunks.js';

/** COPY's binary field encodings written the plain way (Buffer's own methods), to compare the writer with. */
const ref = {
  int32: (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  },
  field: (payload: Buffer) => Buffer.concat([ref.int32(payload.length), payload]),
  int64: (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(n));
    return b;
  },
  text: (s: string) => ref.field(Buffer.from(s, 'utf8')),
  jsonb: (s: string) => ref.field(Buffer.concat([Buffer.from([1]), Buffer.from(s, 'utf8')])),
  textArray: (items: string[]) =>
    ref.field(
      Buffer.concat([
        ref.int32(items.length === 0 ? 0 : 1),
        ref.int32(0),
        ref.int32(25),
        ...(items.length === 0 ? [] : [ref.int32(items.length), ref.int32(1), ...items.map(ref.text)]),
      ]),
    ),
};

const LONG = 'a fairly long text that goes past the short copy path: ñandú, 3 m³/h, and more';

describe('BinaryCopyWriter', () => {
  it('writes every field type byte for byte as Buffer would, short and long, ASCII and not', () => {
    const w = new BinaryCopyWriter(4096);
    const variable = Buffer.from('totalizador');
    const longBytes = Buffer.from(LONG);
    const cases: { write: () => void; expected: Buffer }[] = [
      { write: () => w.int8(42), expected: ref.field(ref.int64(42)) },
      { write: () => w.int8(-7), expected: ref.field(ref.int64(-7)) },
      { write: () => w.int8(2 ** 53 - 1), expected: ref.field(ref.int64(2 ** 53 - 1)) },
      { write: () => w.timestamptz(Date.UTC(2026, 11, 6, 4, 30)), expected: ref.field(ref.int64((Date.UTC(2026, 11, 6, 4, 30) - Date.UTC(2000, 0, 1)) * 1000)) },
      { write: () => w.timestamptz(Date.UTC(1999, 0, 1)), expected: ref.field(ref.int64((Date.UTC(1999, 0, 1) - Date.UTC(2000, 0, 1)) * 1000)) },
      { write: () => w.float8(-12.345), expected: ref.field(Buffer.from(new Uint8Array(new Float64Array([-12.345]).buffer).reverse())) },
      { write: () => w.float8(null), expected: ref.int32(-1) },
      { write: () => w.float4(0.5), expected: ref.field(Buffer.from(new Uint8Array(new Float32Array([0.5]).buffer).reverse())) },
      { write: () => w.bool(true), expected: ref.field(Buffer.from([1])) },
      { write: () => w.bool(null), expected: ref.int32(-1) },
      { write: () => w.bytes(variable), expected: ref.text('totalizador') },
      { write: () => w.bytes(longBytes), expected: ref.text(LONG) },
      { write: () => w.text(''), expected: ref.text('') },
      { write: () => w.text('12.30'), expected: ref.text('12.30') },
      { write: () => w.text('m³/h'), expected: ref.text('m³/h') },
      { write: () => w.text(LONG), expected: ref.text(LONG) },
      { write: () => w.text(null), expected: ref.int32(-1) },
      { write: () => w.jsonb('"12.30"'), expected: ref.jsonb('"12.30"') },
      { write: () => w.jsonb('{"unit":"m³"}'), expected: ref.jsonb('{"unit":"m³"}') },
      { write: () => w.jsonb(Buffer.from('{"kind":"flow"}')), expected: ref.jsonb('{"kind":"flow"}') },
      { write: () => w.jsonb(null), expected: ref.int32(-1) },
      { write: () => w.textArray([]), expected: ref.textArray([]) },
      { write: () => w.textArray(['spike', 'after_gap']), expected: ref.textArray(['spike', 'after_gap']) },
      { write: () => w.textArray(['año', LONG]), expected: ref.textArray(['año', LONG]) },
    ];
    expect(w.beginRow(cases.length, 4000)).toBeUndefined();
    for (const c of cases) c.write();
    const chunk = w.finish()!;
    expect(chunk.rows).toBe(1);
    const fieldCount = Buffer.alloc(2);
    fieldCount.writeInt16BE(cases.length);
    expect(chunk.bytes.equals(Buffer.concat([fieldCount, ...cases.map((c) => c.expected)]))).toBe(true);
  });

  it('hands out the full chunk when a row does not fit, and starts a larger one for a row larger than a chunk', () => {
    const w = new BinaryCopyWriter(64);
    expect(w.beginRow(1, BINARY_FIELD.text('abc'))).toBeUndefined();
    w.text('abc');
    const big = 'x'.repeat(100);
    const full = w.beginRow(1, BINARY_FIELD.text(big));
    expect(full?.rows).toBe(1);
    expect(full?.bytes.equals(Buffer.concat([Buffer.from([0, 1]), ref.text('abc')]))).toBe(true);
    w.text(big);
    const rest = w.finish()!;
    expect(rest.rows).toBe(1);
    expect(rest.bytes.equals(Buffer.concat([Buffer.from([0, 1]), ref.text(big)]))).toBe(true);
    expect(w.finish()).toBeUndefined();
  });
});
