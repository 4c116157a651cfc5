import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { DumpRow } from './dumpdata.reader.js';

/**
 * Measurement rows held on disk until the registry they refer to has been applied (files come in any
 * order, and a million rows must not sit in memory): one NDJSON file per model, only the fields the
 * import reads, removed when the import ends.
 */
export class RowSpool {
  private readonly files = new Map<string, { path: string; out: WriteStream; rows: number }>();

  private constructor(private readonly dir: string, private readonly keep: Readonly<Record<string, readonly string[]>>) {}

  /** `keep`: per spooled model, the fields to keep. */
  static async create(keep: Readonly<Record<string, readonly string[]>>): Promise<RowSpool> {
    return new RowSpool(await mkdtemp(join(tmpdir(), 'smarthydro-import-')), keep);
  }

  holds(model: string): boolean {
    return model in this.keep;
  }

  async write(row: DumpRow): Promise<void> {
    let file = this.files.get(row.model);
    if (!file) {
      const path = join(this.dir, `${this.files.size}.ndjson`);
      file = { path, out: createWriteStream(path), rows: 0 };
      this.files.set(row.model, file);
    }
    const fields: Record<string, unknown> = {};
    for (const name of this.keep[row.model]!) if (name in row.fields) fields[name] = row.fields[name];
    file.rows++;
    if (!file.out.write(`${JSON.stringify({ pk: row.pk, fields })}\n`)) await once(file.out, 'drain');
  }

  rows(model: string): number {
    return this.files.get(model)?.rows ?? 0;
  }

  /** Closes the files: call once every row is written. */
  async end(): Promise<void> {
    for (const { out } of this.files.values()) {
      out.end();
      await once(out, 'finish');
    }
  }

  /** The spooled rows of a model, in the order they were read. */
  async *read(model: string): AsyncGenerator<DumpRow> {
    const file = this.files.get(model);
    if (!file) return;
    const lines = createInterface({ input: createReadStream(file.path), crlfDelay: Infinity });
    for await (const line of lines) {
      const { pk, fields } = JSON.parse(line) as { pk: DumpRow['pk']; fields: Record<string, unknown> };
      yield { model, pk, fields };
    }
  }

  async remove(): Promise<void> {
    for (const { out } of this.files.values()) out.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
