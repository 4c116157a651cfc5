import { Readable } from 'node:stream';

/** RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const RAW_CSV_HEADER = 'point_id,variable,timestamp,value,quality_score,quality_flags\n';
export const BUCKET_CSV_HEADER = 'point_id,variable,timestamp,avg,min,max,count,last\n';

export function bucketCsvLine(pointId: number, variable: string, b: { ms: number; avg: number; min: number; max: number; count: number; last: number }): string {
  return `${pointId},${csvField(variable)},${new Date(b.ms).toISOString()},${b.avg},${b.min},${b.max},${b.count},${b.last}`;
}

/** `point-12-flow-1h.csv`: only letters, digits, dot, dash and underscore survive. */
export function csvFilename(pointId: number, variable: string | undefined, bucket: string): string {
  return `point-${pointId}-${(variable ?? 'all').replace(/[^\w.-]/g, '_')}-${bucket}.csv`;
}

/**
 * A byte stream pulling one chunk at a time from `chunks`: the next page is queried only when the
 * client has taken the previous one, so memory stays flat whatever the export's size. Destroying the
 * stream (client gone) aborts `stop` at once, so a generator between chunks (walking empty pages)
 * stops at its next check instead of running to its end, and then ends the generator.
 */
export function streamOf(chunks: AsyncGenerator<string>, stop = new AbortController()): Readable {
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      chunks.next().then(
        ({ done, value }) => {
          if (!this.destroyed) this.push(done ? null : value);
        },
        (err: Error) => this.destroy(err),
      );
    },
    destroy(err, callback) {
      stop.abort();
      chunks.return(undefined).catch(() => undefined);
      callback(err);
    },
  });
}
