import { Readable } from 'node:stream';

/**
 * First characters that make a spreadsheet read a cell as a formula (CSV injection). A text cell
 * starting with one gets a leading `'`, so it shows as text; numbers are written as they are.
 */
export const CSV_FORMULA_LEADS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** A text cell as a spreadsheet will show it: not a formula. */
export function csvText(s: string): string {
  return s.length > 0 && CSV_FORMULA_LEADS.includes(s[0]!) ? `'${s}` : s;
}

/** The rule of `csvText` as an SQL expression over the text expression `expr` (for lines built in the database). */
export function csvTextSql(expr: string): string {
  const leads = CSV_FORMULA_LEADS.map((c) => `chr(${c.charCodeAt(0)})`).join(', ');
  return `(CASE WHEN left(${expr}, 1) IN (${leads}) THEN chr(39) || ${expr} ELSE ${expr} END)`;
}

/** RFC 4180 field: quoted when it holds a comma, a quote or a line break; text cells are neutralised (`csvText`). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'string' ? csvText(v) : String(v);
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
