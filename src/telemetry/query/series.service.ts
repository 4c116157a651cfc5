import type { Readable } from 'node:stream';
import type { Db } from '../../infra/db/index.js';
import type { Cache } from '../../infra/cache/index.js';
import type { Principal } from '../../auth/principal.js';
import type { PointService } from '../../registry/point.service.js';
import type { SchemaService } from '../../registry/schema.service.js';
import { AppError, NotFoundError, ValidationError } from '../../errors.js';
import { alignRange, bucketCount, BUCKETS, chooseBucket, type BucketName } from './buckets.js';
import { BUCKET_CSV_HEADER, bucketCsvLine, csvFilename, RAW_CSV_HEADER, streamOf } from './csv.js';
import { type BucketRow, SeriesRepository } from './series.repository.js';
import type { Clock } from '../../lib/clock.js';
import { DAY_MS } from '../../lib/time.js';
import { parseRange, queryBounds } from './time.js';
import { PointVisibility } from './visibility.js';

export type BucketParam = 'raw' | 'auto' | BucketName;

export interface SeriesQuery {
  variable?: string;
  from?: string;
  to?: string;
  bucket: BucketParam;
  /** Raw JSON only: at most this many rows. */
  limit?: number;
  /** Raw JSON only: `original` adds each reading's recorded and received value beside the corrected one. */
  include?: 'original';
}

export interface SeriesBucket {
  timestamp: string;
  avg: number;
  min: number;
  max: number;
  count: number;
  last: number;
}

export interface SeriesReading {
  variable: string;
  timestamp: string;
  value: number | string | boolean | null;
  quality_score: number;
  quality_flags: string[];
}

export interface SeriesResult {
  point_id: number;
  variable: string;
  bucket: 'raw' | BucketName;
  /** The range covered: the request's, widened to whole buckets. */
  from: string;
  to: string;
  items: SeriesBucket[] | SeriesReading[];
  total: number;
  /** Raw only, when `limit` cut the answer: pass it as `from` for the next page. */
  next_from?: string | null;
}

export const DEFAULT_SPAN_MS = DAY_MS;
export const RAW_DEFAULT_LIMIT = 10_000;
export const RAW_MAX_LIMIT = 100_000;
/** A JSON answer never holds more buckets than this; CSV has no limit. */
export const MAX_JSON_BUCKETS = 100_000;
// Small pages: each one's rows and text die young (a 10,000-row page survives into the old generation
// and RSS climbs until a full GC; at 2,000 it stays flat over a 10-million-row export).
const CSV_PAGE_ROWS = 2_000;
const CSV_PAGE_BUCKETS = 5_000;
/** CSV exports streaming at once per process by default: each holds a database connection busy. */
export const MAX_CONCURRENT_EXPORTS = 2;

/** Measurements of one point: buckets (avg, min, max, count, last) or raw readings, JSON or streamed CSV. */
export class SeriesService {
  private readonly repo: SeriesRepository;

  private readonly visibility: PointVisibility;

  private exporting = 0;

  constructor(
    private readonly deps: {
      db: Db;
      cache: Cache;
      points: PointService;
      schemas: SchemaService;
      timezone: string;
      clock: Clock;
      /** Readings older than this are gone: ranges are clamped to it. */
      retentionDays: number;
      /** CSV exports streaming at once in this process; more are refused with 429. */
      maxConcurrentExports?: number;
      visibility?: PointVisibility;
    },
  ) {
    this.repo = new SeriesRepository(deps.db);
    this.visibility = deps.visibility ?? new PointVisibility(deps);
  }

  /** CSV exports streaming now. */
  get activeExports(): number {
    return this.exporting;
  }

  private range(q: SeriesQuery): { from: Date; to: Date } {
    const now = this.deps.clock.now();
    return parseRange(q, this.deps.timezone, DEFAULT_SPAN_MS, now, queryBounds(now, this.deps.retentionDays));
  }

  /**
   * One export slot per stream, given back when the stream closes (finished, failed, or destroyed because
   * the client went away); the generator sees the abort and stops before its next page.
   */
  private exportStream(chunks: (signal: AbortSignal) => AsyncGenerator<string>): Readable {
    const max = this.deps.maxConcurrentExports ?? MAX_CONCURRENT_EXPORTS;
    if (this.exporting >= max) {
      throw new AppError('EXPORTS_BUSY', `${max} CSV exports are already running; try again when one has finished`, 429);
    }
    const stop = new AbortController();
    this.exporting++;
    const stream = streamOf(chunks(stop.signal), stop);
    stream.once('close', () => this.exporting--);
    return stream;
  }

  async series(actor: Principal, pointId: number, q: SeriesQuery): Promise<SeriesResult> {
    return JSON.parse(await this.seriesJson(actor, pointId, q)) as SeriesResult;
  }

  /** The JSON answer as text, built without an intermediate object per row (a year is a few thousand buckets). */
  async seriesJson(actor: Principal, pointId: number, q: SeriesQuery): Promise<string> {
    await this.visibility.assertVisible(actor, pointId);
    if (!q.variable) throw new ValidationError('variable is required (e.g. variable=flow); only a raw CSV export may leave it out', 'variable');
    const variable = q.variable;
    const { from, to } = this.range(q);
    const head = (bucket: string, start: Date, end: Date) =>
      `{"point_id":${pointId},"variable":${JSON.stringify(variable)},"bucket":"${bucket}","from":"${start.toISOString()}","to":"${end.toISOString()}"`;

    if (q.bucket === 'raw') {
      const limit = q.limit ?? RAW_DEFAULT_LIMIT;
      if (limit > RAW_MAX_LIMIT) throw new ValidationError(`limit must be at most ${RAW_MAX_LIMIT}; export larger ranges with format=csv`, 'limit');
      const rows = await this.repo.rawJson(pointId, variable, from, to, limit + 1, q.include === 'original');
      if (rows.length === 0) await this.ensureVariable(pointId, variable);
      const more = rows.length > limit;
      const n = more ? limit : rows.length;
      let items = '';
      for (let i = 0; i < n; i++) items += (i ? ',' : '') + rows[i]!.j;
      const next = more ? `"${new Date(Math.floor(rows[limit - 1]!.ms) + 1).toISOString()}"` : 'null';
      return `${head('raw', from, to)},"items":[${items}],"total":${n},"next_from":${next}}`;
    }

    if (q.include !== undefined) throw new ValidationError('include=original needs bucket=raw (buckets hold effective values only)', 'include');
    const bucket = q.bucket === 'auto' ? chooseBucket(from, to) : q.bucket;
    const count = bucketCount(from, to, bucket);
    if (count > MAX_JSON_BUCKETS) {
      throw new ValidationError(
        `${count} buckets of ${bucket} is too many for one answer (at most ${MAX_JSON_BUCKETS}); use a coarser bucket, bucket=auto or format=csv`,
        'bucket',
      );
    }
    const { start, end } = alignRange(from, to, bucket);
    const rows = await this.repo.buckets(pointId, variable, bucket, start, end);
    if (rows.length === 0) await this.ensureVariable(pointId, variable);
    let items = '';
    for (let i = 0; i < rows.length; i++) items += (i ? ',' : '') + bucketJson(rows[i]!);
    return `${head(bucket, start, end)},"items":[${items}],"total":${rows.length}}`;
  }

  /** The same data as CSV, streamed page by page. Without `variable` (raw only) every variable of the point, one after the other. */
  async csv(actor: Principal, pointId: number, q: SeriesQuery): Promise<{ filename: string; stream: Readable }> {
    await this.visibility.assertVisible(actor, pointId);
    if (q.include !== undefined) throw new ValidationError('include=original is for raw JSON (bucket=raw without format=csv)', 'include');
    const { from, to } = this.range(q);
    if (q.variable !== undefined) await this.ensureVariable(pointId, q.variable);

    if (q.bucket === 'raw') {
      const variables = q.variable !== undefined ? [q.variable] : await this.knownVariables(pointId);
      return { filename: csvFilename(pointId, q.variable, 'raw'), stream: this.exportStream((signal) => this.rawCsv(pointId, variables, from, to, signal)) };
    }
    if (q.variable === undefined) throw new ValidationError('variable is required for bucketed series', 'variable');
    const bucket = q.bucket === 'auto' ? chooseBucket(from, to) : q.bucket;
    const { start, end } = alignRange(from, to, bucket);
    const variable = q.variable;
    return { filename: csvFilename(pointId, variable, bucket), stream: this.exportStream((signal) => this.bucketCsv(pointId, variable, bucket, start, end, signal)) };
  }

  private async *rawCsv(pointId: number, variables: string[], from: Date, to: Date, signal: AbortSignal): AsyncGenerator<string> {
    yield RAW_CSV_HEADER;
    for (const variable of variables) {
      let after: string | null = null;
      while (!signal.aborted) {
        const page = await this.repo.rawCsvPage(pointId, variable, from, to, after, CSV_PAGE_ROWS);
        if (page.length === 0) break;
        let chunk = '';
        for (const r of page) chunk += r.line + '\n';
        yield chunk;
        if (page.length < CSV_PAGE_ROWS) break;
        after = page[page.length - 1]!.k;
      }
    }
  }

  private async *bucketCsv(pointId: number, variable: string, bucket: BucketName, start: Date, end: Date, signal: AbortSignal): AsyncGenerator<string> {
    yield BUCKET_CSV_HEADER;
    const window = BUCKETS[bucket].ms * CSV_PAGE_BUCKETS;
    // Empty windows yield nothing, so the abort is checked before each query, not only at each chunk.
    for (let t = start.getTime(); t < end.getTime() && !signal.aborted; t += window) {
      const rows = await this.repo.buckets(pointId, variable, bucket, new Date(t), new Date(Math.min(t + window, end.getTime())));
      if (rows.length === 0) continue;
      let chunk = '';
      for (const b of rows) chunk += bucketCsvLine(pointId, variable, b) + '\n';
      yield chunk;
    }
  }

  /** Variables of the point's schema and those it has readings of. */
  async knownVariables(pointId: number): Promise<string[]> {
    const [schema, withData] = await Promise.all([
      this.deps.schemas.mergedConfig(pointId).catch(() => null),
      this.repo.variablesWithData(pointId),
    ]);
    const configured = schema && schema.merged_config && typeof schema.merged_config === 'object' && !Array.isArray(schema.merged_config)
      ? Object.keys(schema.merged_config)
      : [];
    return [...new Set([...configured, ...withData])].sort();
  }

  /** An empty answer for a variable the point does not have is a typo, not an empty series. */
  private async ensureVariable(pointId: number, variable: string): Promise<void> {
    const known = await this.knownVariables(pointId);
    if (known.includes(variable) || (await this.repo.hasReadings(pointId, variable))) return;
    throw unknownVariable(pointId, variable, known);
  }
}

function unknownVariable(pointId: number, variable: string, known: string[]): AppError {
  return new NotFoundError(
    'VARIABLE_NOT_FOUND',
    `point ${pointId} has no variable "${variable}"${known.length ? `; its variables are ${known.join(', ')}` : ' (it has no variables configured and no readings)'}`,
    { field: 'variable', known },
  );
}

const num = (x: number) => (Number.isFinite(x) ? String(x) : 'null');

function bucketJson(b: BucketRow): string {
  return `{"timestamp":"${new Date(b.ms).toISOString()}","avg":${num(b.avg)},"min":${num(b.min)},"max":${num(b.max)},"count":${Number(b.count)},"last":${num(b.last)}}`;
}
