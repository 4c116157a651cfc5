import JSONParser from '@streamparser/json/jsonparser.js';

/** One row of a Django `manage.py dumpdata` file. */
export interface DumpRow {
  model: string;
  pk: number | string;
  fields: Record<string, unknown>;
}

/** Why a dump file cannot be read; `index` is the array position of the offending element, when known. */
export class DumpFormatError extends Error {
  constructor(message: string, readonly index?: number) {
    super(message);
    this.name = 'DumpFormatError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asRow(value: unknown, index: number): DumpRow {
  if (!isRecord(value) || typeof value['model'] !== 'string' || !isRecord(value['fields'])) {
    throw new DumpFormatError(`element ${index} is not a dumpdata row ({"model","pk","fields"})`, index);
  }
  const pk = value['pk'];
  if (typeof pk !== 'number' && typeof pk !== 'string') throw new DumpFormatError(`element ${index} has no pk`, index);
  return { model: value['model'], pk, fields: value['fields'] };
}

/**
 * The rows of a dumpdata JSON array, one at a time. Each element is parsed and released as soon as it
 * is complete (the parser keeps no emitted siblings), so memory is bounded by the largest row plus a
 * chunk, whatever the file size. Only the top-level elements are emitted.
 */
export async function* readDumpRows(chunks: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<DumpRow> {
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  let pending: DumpRow[] = [];
  let index = 0;
  let failure: unknown;
  parser.onValue = ({ value, parent, stack }) => {
    if (stack.length !== 1) return;
    if (!Array.isArray(parent)) {
      failure ??= new DumpFormatError('the file is not a JSON array (dumpdata writes [{"model","pk","fields"}, …])');
      return;
    }
    try {
      pending.push(asRow(value, index++));
    } catch (err) {
      failure ??= err;
    }
  };
  parser.onError = (err) => {
    failure ??= new DumpFormatError(`invalid JSON: ${err.message}`);
  };
  for await (const chunk of chunks) {
    parser.write(chunk);
    if (failure) throw failure;
    const rows = pending;
    pending = [];
    for (const row of rows) yield row;
  }
  if (!parser.isEnded) parser.end();
  if (failure) throw failure;
  for (const row of pending) yield row;
}
