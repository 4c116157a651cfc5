import { COPY_CHUNK_BYTES, CopyChunkWriter, escapeCopyText, utf8Bound, type CopyChunk, type Db, type Queryable } from '../../infra/db/index.js';
import type { Measurement } from '../processing/index.js';
import { IsoTimes } from '../../lib/time.js';

export interface MeasurementRow extends Measurement {
  point_id: number;
  provider: string;
}

export interface InsertedRow {
  point_id: number;
  variable: string;
  ts: Date;
  value_numeric: number | null;
}

export interface DeadLetterRow {
  fingerprint: string;
  point_id: number | null;
  variable: string | null;
  ts: string | null;
  code: string;
  reason: string;
  payload: unknown;
}


/** SQL of the write path: measurement partitions, measurements, latest values, dead letters (totalizer state: TotalizerStateRepository). */
export class MeasurementRepository {
  private readonly knownPartitions = new Set<string>();

  constructor(private readonly db: Db) {}

  /** Creates the monthly partitions the rows fall in (remembered per process). */
  async ensurePartitions(timestamps: Iterable<Date>): Promise<void> {
    const months = new Map<string, Date>();
    // Rows come in runs of the same month: only a timestamp outside the last month seen is looked at.
    let monthStart = Infinity;
    let monthEnd = -Infinity;
    for (const ts of timestamps) {
      const t = ts.getTime();
      if (t >= monthStart && t < monthEnd) continue;
      const y = ts.getUTCFullYear();
      const mo = ts.getUTCMonth();
      monthStart = Date.UTC(y, mo, 1);
      monthEnd = Date.UTC(y, mo + 1, 1);
      const key = `${y}-${String(mo + 1).padStart(2, '0')}`;
      if (!this.knownPartitions.has(key) && !months.has(key)) months.set(key, ts);
    }
    for (const [key, ts] of months) {
      await this.db.query('SELECT sh_ensure_measurement_partition($1)', [ts]);
      this.knownPartitions.add(key);
    }
  }

  /** Partitions for this month and the next `ahead` months. */
  async createAhead(now: Date, ahead = 2): Promise<void> {
    const stamps = Array.from({ length: ahead + 1 }, (_, i) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)));
    this.knownPartitions.clear();
    await this.ensurePartitions(stamps);
  }

  /** Drops whole monthly partitions that end before `before`. Returns the dropped names. */
  async dropPartitionsBefore(before: Date): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string; upper: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS upper
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'measurements'::regclass`,
    );
    const dropped: string[] = [];
    for (const r of rows) {
      const m = /TO \('([^']+)'\)/.exec(r.upper);
      if (!m) continue;
      const end = new Date(m[1]!.replace(' ', 'T').replace(/\+00$/, 'Z'));
      if (end.getTime() <= before.getTime()) {
        await this.db.exec(`DROP TABLE IF EXISTS "${r.name.replace(/"/g, '')}"`);
        dropped.push(r.name);
      }
    }
    if (dropped.length) this.knownPartitions.clear();
    return dropped;
  }

  /**
   * Inserts rows, skipping those already stored; returns exactly the rows inserted now.
   * Where COPY is the database's faster bulk load, the batch is first tried as one COPY (several times
   * faster than INSERT … ON CONFLICT there); a unique violation — a re-delivered batch, a repeated
   * reading — rolls back to a savepoint and the batch goes through the conflict-skipping INSERT instead.
   */
  async insert(tx: Queryable, rows: MeasurementRow[]): Promise<InsertedRow[]> {
    if (rows.length === 0) return [];
    if (tx.bulkLoad === 'copy') {
      await tx.exec('SAVEPOINT measurements_copy');
      try {
        await tx.copyFrom('measurements', COPY_COLUMNS, copyLines(rows));
        await tx.exec('RELEASE SAVEPOINT measurements_copy');
        return rows; // every row went in (a MeasurementRow is an InsertedRow with more fields)
      } catch (err) {
        await tx.exec('ROLLBACK TO SAVEPOINT measurements_copy');
        if ((err as { code?: string }).code !== '23505') throw err;
      }
    }
    return this.insertSkippingDuplicates(tx, rows);
  }

  private async insertSkippingDuplicates(tx: Queryable, rows: MeasurementRow[]): Promise<InsertedRow[]> {
    const payload = JSON.stringify(
      rows.map((r) => ({
        p: r.point_id,
        v: r.variable,
        t: r.ts.toISOString(),
        n: r.value_numeric,
        mv: r.meter_value,
        x: r.value_text,
        b: r.value_boolean,
        r: r.raw_value === undefined ? null : r.raw_value,
        q: r.quality_score,
        f: r.quality_flags,
        pr: r.provider,
        c: r.processing_config,
      })),
    );
    const { rows: inserted } = await tx.query<InsertedRow>(
      `INSERT INTO measurements (point_id, variable, ts, value_numeric, meter_value, value_text, value_boolean, raw_value,
                                 quality_score, quality_flags, provider, processing_config)
       SELECT p, v, t, n, mv, x, b, r, q, ARRAY(SELECT json_array_elements_text(f)), pr, c
       FROM json_to_recordset($1::json) AS j(p bigint, v text, t timestamptz, n float8, mv float8, x text, b boolean,
                                            r jsonb, q real, f json, pr text, c jsonb)
       ON CONFLICT (point_id, variable, ts) DO NOTHING
       RETURNING point_id, variable, ts, value_numeric`,
      [payload],
    );
    return inserted;
  }

  async upsertLatest(tx: Queryable, rows: MeasurementRow[]): Promise<void> {
    const newest = new Map<string, MeasurementRow>();
    for (const r of rows) {
      const k = `${r.point_id}\u0000${r.variable}`;
      const cur = newest.get(k);
      if (!cur || cur.ts < r.ts) newest.set(k, r);
    }
    if (newest.size === 0) return;
    const payload = JSON.stringify(
      [...newest.values()].map((r) => ({
        p: r.point_id, v: r.variable, t: r.ts.toISOString(), n: r.value_numeric, x: r.value_text,
        b: r.value_boolean, q: r.quality_score, f: r.quality_flags,
      })),
    );
    await tx.query(
      `INSERT INTO latest_values AS l (point_id, variable, ts, value_numeric, value_text, value_boolean, quality_score, quality_flags)
       SELECT p, v, t, coalesce(m.corrected_value, n), x, b, q, ARRAY(SELECT json_array_elements_text(f))
       FROM json_to_recordset($1::json) AS j(p bigint, v text, t timestamptz, n float8, x text, b boolean, q real, f json)
       -- A re-delivered reading may have been corrected or invalidated since it was stored: its stored state wins.
       LEFT JOIN measurements m ON m.point_id = j.p AND m.variable = j.v AND m.ts = j.t
       WHERE EXISTS (SELECT 1 FROM catchment_points cp WHERE cp.id = j.p) AND NOT coalesce(m.is_invalid, false)
       ON CONFLICT (point_id, variable) DO UPDATE SET
         ts = EXCLUDED.ts, value_numeric = EXCLUDED.value_numeric, value_text = EXCLUDED.value_text,
         value_boolean = EXCLUDED.value_boolean, quality_score = EXCLUDED.quality_score, quality_flags = EXCLUDED.quality_flags
       WHERE EXCLUDED.ts >= l.ts`,
      [payload],
    );
  }

  /** Returns how many were new (a re-delivered batch does not count twice). */
  async deadLetters(tx: Queryable, rows: DeadLetterRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const r = await tx.query(
      `INSERT INTO dead_letters (fingerprint, point_id, variable, ts, code, reason, payload)
       SELECT fp, p, v, t, c, r, pl FROM json_to_recordset($1::json)
         AS j(fp text, p bigint, v text, t timestamptz, c text, r text, pl jsonb)
       ON CONFLICT (fingerprint) DO NOTHING`,
      [JSON.stringify(rows.map((d) => ({ fp: d.fingerprint, p: d.point_id, v: d.variable, t: d.ts, c: d.code, r: d.reason, pl: d.payload })))],
    );
    return r.rowCount;
  }
}

const COPY_COLUMNS = ['point_id', 'variable', 'ts', 'value_numeric', 'meter_value', 'value_text', 'value_boolean', 'raw_value',
  'quality_score', 'quality_flags', 'provider', 'processing_config'];

/**
 * The rows as COPY text, written straight into chunks of bytes (the processor's hot path: no string per row).
 * Numbers, timestamps and flags cannot contain COPY's special characters and are ASCII; text and JSON are
 * escaped. Consecutive rows of one series usually carry the same processing_config, variable and provider:
 * their escaped bytes are reused while they repeat.
 */
function* copyLines(rows: readonly MeasurementRow[]): Generator<CopyChunk> {
  let lastConfig: Record<string, unknown> | undefined;
  let config = EMPTY;
  const variable = new LastText();
  const provider = new LastText();
  const times = new IsoTimes();
  const out = new CopyChunkWriter(COPY_CHUNK_BYTES, rows.length * 1024); // a row is well under 1 kB
  for (const r of rows) {
    if (!lastConfig || !shallowEqual(lastConfig, r.processing_config)) {
      lastConfig = r.processing_config;
      config = Buffer.from(escapeCopyText(JSON.stringify(lastConfig)));
    }
    const vars = variable.escaped(r.variable);
    const prov = provider.escaped(r.provider);
    const id = String(r.point_id);
    const ts = times.text(r.ts);
    const numeric = r.value_numeric === null ? NULL : String(r.value_numeric);
    const meter = r.meter_value === null ? NULL : String(r.meter_value);
    const text = r.value_text === null ? NULL : escapeCopyText(r.value_text);
    const raw = rawValueText(r.raw_value);
    const score = String(r.quality_score);
    const flags = r.quality_flags.length === 0 ? '{}' : `{${r.quality_flags.join(',')}}`;
    const full = out.beginRow(
      id.length + vars.length + ts.length + numeric.length + meter.length + utf8Bound(text) + 1 + utf8Bound(raw) + score.length + flags.length +
        prov.length + config.length + 12,
    );
    if (full) yield full;
    out.ascii(id);
    out.tab();
    out.bytes(vars);
    out.tab();
    out.ascii(ts);
    out.tab();
    out.ascii(numeric);
    out.tab();
    out.ascii(meter);
    out.tab();
    out.utf8(text);
    out.tab();
    out.ascii(r.value_boolean === null ? NULL : r.value_boolean ? 't' : 'f');
    out.tab();
    out.utf8(raw);
    out.tab();
    out.ascii(score);
    out.tab();
    out.ascii(flags);
    out.tab();
    out.bytes(prov);
    out.tab();
    out.bytes(config);
    out.endRow();
  }
  const rest = out.finish();
  if (rest) yield rest;
}

const NULL = '\\N';
const EMPTY = Buffer.alloc(0);

/** Text fields repeat row after row (variable, provider): the last one's escaped bytes are reused. */
class LastText {
  private raw: string | undefined;
  private bytes = EMPTY;
  escaped(value: string): Buffer {
    if (value !== this.raw) {
      this.raw = value;
      this.bytes = Buffer.from(escapeCopyText(value));
    }
    return this.bytes;
  }
}

/** Characters that need no JSON or COPY escaping: a plain string raw value is just quoted. */
const PLAIN_RAW = /^[\w .,:+-]*$/;

/** raw_value as COPY text of jsonb. Providers mostly send numbers or short numeric strings. */
function rawValueText(raw: unknown): string {
  if (raw === undefined) return '\\N';
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'string' && PLAIN_RAW.test(raw)) return '"' + raw + '"';
  return escapeCopyText(JSON.stringify(raw));
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}
