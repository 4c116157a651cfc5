/**
 * Reading a CSV back-fill: the header decides the layout and the delimiter, each line becomes raw
 * readings or a reject with its line number and reason. The readings go to a `publish` callback in
 * batches (awaited before reading on), so memory stays bounded whatever the file size. No I/O here
 * beyond the stream it is given.
 */
import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromLocal, toLocal, type LocalDateTime } from '../../lib/timezone.js';
import { parseNumber } from '../processing/parse.js';
import type { RawBatch } from './raw-message.js';

export type CsvDelimiter = ',' | ';';
export type CsvLayout = { kind: 'long' } | { kind: 'wide'; columns: string[] };
export type RawReading = RawBatch['readings'][number];

export interface CsvReject {
  line: number;
  reason: string;
}

export interface CsvImportResult {
  delimiter: CsvDelimiter;
  layout: CsvLayout['kind'];
  /** Data lines read (the header and blank lines excluded). */
  lines: number;
  /** Readings handed to `publish`. */
  accepted: number;
  /** Rejected lines (or cells of a wide line, or header columns). */
  rejected: number;
  /** The first `keepRejects` rejects; all of them went to `onReject`. */
  rejects: CsvReject[];
  bytes: number;
}

/** The file cannot be read at all: no header, or a header that names neither layout. */
export class CsvHeaderError extends Error {}

const TIMESTAMP_COLUMNS = new Set(['timestamp', 'ts', 'time', 'fecha', 'fecha_hora']);
const MAX_HEADER_BYTES = 64 * 1024;
/** One record may not exceed this (an unclosed quote would otherwise swallow the file). */
const MAX_RECORD_BYTES = 64 * 1024;

/** `;` when the header line has more semicolons than commas outside quotes, `,` otherwise. */
export function detectDelimiter(headerLine: string): CsvDelimiter {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

const normalizeHeader = (h: string) => h.trim().replace(/^\uFEFF/, '');

/**
 * Long layout: `timestamp,variable,value` (in this order, any case). Wide layout: a timestamp column
 * first, then one column per variable key (as written in the point's configuration).
 */
export function detectLayout(header: string[]): CsvLayout {
  const cells = header.map(normalizeHeader);
  if (cells.length === 0 || cells.every((c) => c === '')) throw new CsvHeaderError('the first line is empty: it must be a header');
  const lower = cells.map((c) => c.toLowerCase());
  if (!TIMESTAMP_COLUMNS.has(lower[0]!)) {
    throw new CsvHeaderError(`the first column of the header must be "timestamp" (got "${cells[0]}")`);
  }
  if (lower.length === 3 && lower[1] === 'variable' && lower[2] === 'value') return { kind: 'long' };
  const columns = cells.slice(1);
  if (columns.length === 0) throw new CsvHeaderError('the header has only a timestamp column: add "variable,value" or one column per variable');
  const blank = columns.findIndex((c) => c === '');
  if (blank >= 0) throw new CsvHeaderError(`column ${blank + 2} of the header is empty`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new CsvHeaderError(`column "${c}" appears twice in the header`);
    seen.add(c);
  }
  return { kind: 'wide', columns };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DAY_FIRST = /^(\d{2})[/-](\d{2})[/-](\d{4})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A CSV timestamp as an instant, or a reason. ISO 8601 with an offset is that instant; without one
 * (`2026-12-01 10:00`, `01/12/2026 10:00` day first) it is wall-clock time in `tz`. A naive time the
 * clock skipped or repeated (daylight saving) is refused: guessing would store a reading an hour off
 * or drop it as a duplicate.
 */
export function parseCsvTimestamp(text: string, tz: string): Date | { reason: string } {
  const t = text.trim();
  let l: LocalDateTime;
  let ms = 0;
  let zone: string | undefined;
  const iso = ISO.exec(t);
  const dayFirst = iso ? null : DAY_FIRST.exec(t);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac] = iso;
    l = { year: +y!, month: +mo!, day: +d!, hour: +(h ?? 0), minute: +(mi ?? 0), second: +(s ?? 0) };
    ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
    zone = iso[8];
  } else if (dayFirst) {
    const [, d, mo, y, h, mi, s] = dayFirst;
    l = { year: +y!, month: +mo!, day: +d!, hour: +(h ?? 0), minute: +(mi ?? 0), second: +(s ?? 0) };
  } else {
    return { reason: `timestamp "${t.slice(0, 40)}" is not ISO 8601 (2026-12-01T10:00:00-03:00, 2026-12-01 10:00) or DD/MM/YYYY HH:MM` };
  }
  const probe = new Date(Date.UTC(l.year, l.month - 1, l.day));
  if (
    l.year < 1900 || probe.getUTCFullYear() !== l.year || probe.getUTCMonth() !== l.month - 1 || probe.getUTCDate() !== l.day ||
    l.hour > 23 || l.minute > 59 || l.second > 59
  ) {
    return { reason: `timestamp "${t}" is not a valid calendar date-time` };
  }
  if (zone) {
    const z = zone.toUpperCase();
    const offsetMin = z === 'Z' ? 0 : (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.length > 3 ? z.slice(-2) : 0));
    if (Math.abs(offsetMin) > 18 * 60) return { reason: `timestamp "${t}" has an offset beyond ±18:00` };
    return new Date(Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) + ms - offsetMin * 60_000);
  }
  const at = fromLocal(l, tz);
  const back = toLocal(at, tz);
  if (back.hour !== l.hour || back.minute !== l.minute || back.day !== l.day) {
    return { reason: `timestamp "${t}" does not exist in ${tz} (the clocks went forward); write it with its offset` };
  }
  const hourLater = toLocal(new Date(at.getTime() + 3_600_000), tz);
  if (hourLater.hour === l.hour && hourLater.minute === l.minute && hourLater.day === l.day) {
    return { reason: `timestamp "${t}" happened twice in ${tz} (the clocks went back); write it with its offset` };
  }
  return new Date(at.getTime() + ms);
}

const LOOKS_NUMERIC = /^[+-]?[\d.,]+(e[+-]?\d+)?$/i;

/**
 * A cell's raw value: numbers as numbers (a decimal comma only where `;` separates fields), anything
 * else as the text it is (boolean and text variables; the processor applies the variable's rules).
 * null for an empty cell.
 */
export function csvValue(text: string, delimiter: CsvDelimiter): { raw: unknown } | { reason: string } | null {
  const t = text.trim();
  if (t === '') return null;
  if (LOOKS_NUMERIC.test(t) && t.includes(',')) {
    if (delimiter === ',') return { reason: `value "${t}" has a comma in a comma-separated file: use ";" between fields for decimal commas` };
    const n = parseNumber(t);
    return n === null ? { reason: `value "${t}" is not a number (no thousands separators)` } : { raw: n };
  }
  const n = LOOKS_NUMERIC.test(t) ? parseNumber(t) : null;
  return { raw: n ?? t };
}

export interface RecordContext {
  layout: CsvLayout;
  delimiter: CsvDelimiter;
  /** Variable keys of the point; anything else is rejected. */
  variables: ReadonlySet<string>;
  timezone: string;
}

/** The readings of one data record and the reasons for what was refused (several for a wide line). */
export function readRecord(cells: string[], ctx: RecordContext): { readings: RawReading[]; rejects: string[] } {
  const expected = ctx.layout.kind === 'long' ? 3 : ctx.layout.columns.length + 1;
  if (cells.length !== expected) {
    return { readings: [], rejects: [`has ${cells.length} field(s), the header has ${expected} (delimiter "${ctx.delimiter}")`] };
  }
  const ts = parseCsvTimestamp(cells[0]!, ctx.timezone);
  if (!(ts instanceof Date)) return { readings: [], rejects: [ts.reason] };
  const iso = ts.toISOString();
  if (ctx.layout.kind === 'long') {
    const variable = cells[1]!.trim();
    if (!ctx.variables.has(variable)) return { readings: [], rejects: [unknownVariable(variable)] };
    const value = csvValue(cells[2]!, ctx.delimiter);
    if (value === null) return { readings: [], rejects: ['value is empty'] };
    if ('reason' in value) return { readings: [], rejects: [value.reason] };
    return { readings: [{ variable, ts: iso, raw: value.raw }], rejects: [] };
  }
  const readings: RawReading[] = [];
  const rejects: string[] = [];
  ctx.layout.columns.forEach((variable, i) => {
    if (!ctx.variables.has(variable)) return; // reported once, for the header
    const value = csvValue(cells[i + 1]!, ctx.delimiter);
    if (value === null) return; // a blank cell: no reading of that variable at that time
    if ('reason' in value) rejects.push(`${variable}: ${value.reason}`);
    else readings.push({ variable, ts: iso, raw: value.raw });
  });
  return { readings, rejects };
}

const unknownVariable = (v: string) => `variable "${v.slice(0, 100)}" is not configured for this point`;

export interface ImportCsvOptions {
  variables: ReadonlySet<string>;
  timezone: string;
  /** Receives the readings in order, at most `batchSize` at a time; awaited before reading on. */
  publish(readings: RawReading[]): Promise<void>;
  batchSize?: number;
  /** Every reject as it happens (the CLI's report file). */
  onReject?(reject: CsvReject): void | Promise<void>;
  /** Lines and bytes read so far, about every `progressEvery` lines. */
  onProgress?(p: { lines: number; bytes: number }): void;
  progressEvery?: number;
  keepRejects?: number;
}

/** Reads a whole CSV stream; throws CsvHeaderError when the header is unusable, otherwise reports per line. */
export async function importCsv(source: AsyncIterable<Buffer | string>, opts: ImportCsvOptions): Promise<CsvImportResult> {
  const it = source[Symbol.asyncIterator]();
  try {
    return await readAll(it, opts);
  } finally {
    // Releases the source (closes the file, drains nothing more) when reading stopped early.
    await it.return?.();
  }
}

async function readAll(it: AsyncIterator<Buffer | string>, opts: ImportCsvOptions): Promise<CsvImportResult> {
  let bytes = 0;
  const take = async (): Promise<Buffer | null> => {
    const n = await it.next();
    if (n.done) return null;
    const chunk = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
    bytes += chunk.length;
    return chunk;
  };
  // The header line decides the delimiter before the parser is built.
  let head = Buffer.alloc(0);
  while (head.indexOf(0x0a) < 0 && head.length < MAX_HEADER_BYTES) {
    const chunk = await take();
    if (!chunk) break;
    head = Buffer.concat([head, chunk]);
  }
  const firstLine = head.subarray(0, head.indexOf(0x0a) < 0 ? head.length : head.indexOf(0x0a)).toString('utf8');
  if (firstLine.trim() === '') throw new CsvHeaderError('the file is empty or its first line is blank: the first line must be the header');
  const delimiter = detectDelimiter(firstLine);

  const result: CsvImportResult = { delimiter, layout: 'long', lines: 0, accepted: 0, rejected: 0, rejects: [], bytes: 0 };
  const keep = opts.keepRejects ?? 1000;
  const reject = async (line: number, reason: string) => {
    result.rejected++;
    if (result.rejects.length < keep) result.rejects.push({ line, reason });
    await opts.onReject?.({ line, reason });
  };
  const skipped: CsvReject[] = [];
  const parser = parse({
    delimiter,
    record_delimiter: ['\r\n', '\n'],
    bom: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    info: true,
    on_skip: (err) => {
      skipped.push({ line: typeof err?.lines === 'number' ? err.lines : 0, reason: `unreadable CSV: ${err?.message ?? 'malformed record'}` });
      return undefined;
    },
  });
  async function* chunks() {
    yield head;
    for (let c = await take(); c; c = await take()) yield c;
  }
  const feeding = pipeline(Readable.from(chunks()), parser);
  feeding.catch(() => undefined); // surfaced by the loop below through the parser

  const batchSize = Math.max(1, opts.batchSize ?? 5000);
  const progressEvery = Math.max(1, opts.progressEvery ?? 10_000);
  let batch: RawReading[] = [];
  let ctx: RecordContext | undefined;
  const flush = async () => {
    if (batch.length === 0) return;
    const out = batch;
    batch = [];
    await opts.publish(out);
    result.accepted += out.length;
  };

  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    for (const s of skipped.splice(0)) await reject(s.line, s.reason);
    if (!ctx) {
      const layout = detectLayout(record);
      result.layout = layout.kind;
      ctx = { layout, delimiter, variables: opts.variables, timezone: opts.timezone };
      if (layout.kind === 'wide') {
        for (const c of layout.columns) if (!opts.variables.has(c)) await reject(info.lines, `${unknownVariable(c)}: its column is skipped`);
      }
      continue;
    }
    if (record.every((c) => c.trim() === '')) continue;
    result.lines++;
    const { readings, rejects } = readRecord(record, ctx);
    for (const r of rejects) await reject(info.lines, r);
    for (const r of readings) batch.push(r);
    if (batch.length >= batchSize) await flush();
    if (result.lines % progressEvery === 0) opts.onProgress?.({ lines: result.lines, bytes });
  }
  await feeding;
  for (const s of skipped.splice(0)) await reject(s.line, s.reason);
  if (!ctx) throw new CsvHeaderError('the file has no header line');
  await flush();
  result.bytes = bytes;
  opts.onProgress?.({ lines: result.lines, bytes });
  return result;
}
