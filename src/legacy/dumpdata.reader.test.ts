import { describe, expect, it } from 'vitest';
import { DumpFormatError, readDumpRows, type DumpRow } from './dumpdata.reader.js';

async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<DumpRow[]> {
  const rows: DumpRow[] = [];
  for await (const row of readDumpRows(source)) rows.push(row);
  return rows;
}

const dump = JSON.stringify([
  { model: 'core.client', pk: 1, fields: { name: 'Agrícola Ñuble', rut: '76.086.428-5', nested: { a: [1, 2] } } },
  { model: 'core.catchmentpoint', pk: 7, fields: { title: 'Pozo 1', lat: '33°26\'56.3"S', lon: null } },
  { model: 'datastore.timeseriesdata', pk: 'a1', fields: { value: { v: 1.5 } } },
]);

describe('readDumpRows', () => {
  it.each([1, 3, 7, 64, 100_000])('yields every row whole with %i-byte chunks (multi-byte characters split)', async (size) => {
    const rows = await collect(chunked(dump, size));
    expect(rows).toEqual(JSON.parse(dump));
  });

  it('yields rows before the array is complete', async () => {
    async function* halfThenFail(): AsyncGenerator<Buffer> {
      yield Buffer.from('[{"model":"core.client","pk":1,"fields":{}},{"model":"core.cl');
      throw new Error('the rest never arrives');
    }
    const seen: DumpRow[] = [];
    await expect(async () => {
      for await (const row of readDumpRows(halfThenFail())) seen.push(row);
    }).rejects.toThrow('the rest never arrives');
    expect(seen.map((r) => r.pk)).toEqual([1]);
  });

  it('keeps memory bounded over a large stream', async () => {
    const rows = 200_000;
    async function* big(): AsyncGenerator<string> {
      yield '[';
      for (let i = 0; i < rows; i++) {
        yield `${i ? ',' : ''}{"model":"core.interactiondetail","pk":${i},"fields":{"total":"1.234,5","flow":${i % 50},"note":"${'x'.repeat(200)}"}}`;
      }
      yield ']';
    }
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = before;
    for await (const row of readDumpRows(big())) {
      if (row.pk !== count) throw new Error('out of order');
      count++;
      if (count % 20_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(count).toBe(rows);
    // The whole text is ~50 MB; a reader that kept the rows would grow by far more than this.
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);
  });

  it.each([
    ['an object', '{"model":"core.client","pk":1,"fields":{}}', 'not a JSON array'],
    ['a row without fields', '[{"model":"core.client","pk":1}]', 'element 0 is not a dumpdata row'],
    ['a row without pk', '[{"model":"core.client","fields":{}}]', 'element 0 has no pk'],
    ['broken JSON', '[{"model":"core.client",', 'invalid JSON'],
    ['a truncated file', '[{"model":"core.client","pk":1,"fields":{}}', 'invalid JSON'],
  ])('refuses %s', async (_name, text, message) => {
    const err = await collect(chunked(text, 5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DumpFormatError);
    expect((err as Error).message).toContain(message);
  });

  it('reads an empty array', async () => {
    expect(await collect(chunked('[]', 1))).toEqual([]);
  });
});
