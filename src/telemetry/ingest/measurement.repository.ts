import { BINARY_FIELD, BinaryCopyWriter, COPY_CHUNK_BYTES, type CopyChunk, type Db, type Queryable } from '../../infra/db/index.js';
import { readingPart, type Applied, type Measurement } from '../processing/index.js';

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
   * Where COPY is the database's faster bulk load, the batch is first tried as one COPY straight into the table
   * (several times faster than INSERT … ON CONFLICT there). A unique violation — a batch delivered again after a
   * rebalance, a repeated reading — rolls back to a savepoint; the batch is then COPYed into a session-local
   * staging table and moved over with INSERT … SELECT … ON CONFLICT DO NOTHING (about twice a plain COPY, still far
   * cheaper than rows sent as JSON).
   */
  async insert(tx: Queryable, rows: MeasurementRow[]): Promise<InsertedRow[]> {
    if (rows.length === 0) return [];
    if (tx.bulkLoad === 'insert') return this.insertSkippingDuplicates(tx, rows);
    await tx.exec('SAVEPOINT measurements_copy');
    try {
      await tx.copyBinary('measurements', COPY_COLUMNS, copyRows(rows));
      await tx.exec('RELEASE SAVEPOINT measurements_copy');
      return rows; // every row went in (a MeasurementRow is an InsertedRow with more fields)
    } catch (err) {
      await tx.exec('ROLLBACK TO SAVEPOINT measurements_copy');
      if ((err as { code?: string }).code !== '23505') throw err;
    }
    return this.insertStaged(tx, rows);
  }

  private async insertStaged(tx: Queryable, rows: MeasurementRow[]): Promise<InsertedRow[]> {
    // A temporary table lives as long as the connection: created once per connection, emptied at each commit.
    await tx.exec(
      `CREATE TEMP TABLE IF NOT EXISTS measurements_stage (LIKE measurements INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
       TRUNCATE measurements_stage`,
    );
    await tx.copyBinary('measurements_stage', COPY_COLUMNS, copyRows(rows));
    const columns = COPY_COLUMNS.join(', ');
    const { rows: inserted } = await tx.query<InsertedRow>(
      `INSERT INTO measurements (${columns}) SELECT ${columns} FROM measurements_stage
       ON CONFLICT (point_id, variable, ts) DO NOTHING
       RETURNING point_id, variable, ts, value_numeric`,
    );
    return inserted;
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

  /** `newest`: the newest row of each point variable written (one per point variable). */
  async upsertLatest(tx: Queryable, newest: readonly MeasurementRow[]): Promise<void> {
    if (newest.length === 0) return;
    const payload = JSON.stringify(
      newest.map((r) => ({
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
 * The rows in COPY's binary format, written straight into chunks of bytes (the processor's hot path: no string per
 * row, no number formatted as text). Consecutive rows of one series usually carry the same processing_config,
 * variable and provider: their encoded bytes are reused while they repeat.
 */
function* copyRows(rows: readonly MeasurementRow[]): Generator<CopyChunk> {
  const config = new ConfigJson();
  const variable = new LastText();
  const provider = new LastText();
  const out = new BinaryCopyWriter(COPY_CHUNK_BYTES, rows.length * 1024); // a row is well under 1 kB
  // An index loop: in a generator, `for … of` over the rows costs an iterator result object per row.
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const configJson = config.encoded(r.processing_config);
    const vars = variable.encoded(r.variable);
    const prov = provider.encoded(r.provider);
    const raw = r.raw_value === undefined ? null : rawValueJson(r.raw_value);
    const full = out.beginRow(
      COPY_COLUMNS.length,
      BINARY_FIELD.int8 + BINARY_FIELD.bytes(vars) + BINARY_FIELD.timestamptz + 2 * BINARY_FIELD.float8 + BINARY_FIELD.text(r.value_text) +
        BINARY_FIELD.bool + BINARY_FIELD.jsonb(raw) + BINARY_FIELD.float4 + BINARY_FIELD.textArray(r.quality_flags) + BINARY_FIELD.bytes(prov) +
        BINARY_FIELD.jsonb(configJson),
    );
    if (full) yield full;
    out.int8(r.point_id);
    out.bytes(vars);
    out.timestamptz(r.ts.getTime());
    out.float8(r.value_numeric);
    out.float8(r.meter_value);
    out.text(r.value_text);
    out.bool(r.value_boolean);
    out.jsonb(raw);
    out.float4(r.quality_score);
    out.textArray(r.quality_flags);
    out.bytes(prov);
    out.jsonb(configJson);
  }
  const rest = out.finish();
  if (rest) yield rest;
}

const EMPTY = Buffer.alloc(0);

/** Text fields repeat row after row (variable, provider): the last one's bytes are reused. */
class LastText {
  private raw: string | undefined;
  private bytes = EMPTY;
  encoded(value: string): Buffer {
    if (value !== this.raw) {
      this.raw = value;
      this.bytes = Buffer.from(value);
    }
    return this.bytes;
  }
}

/**
 * processing_config as JSON. Most readings carry a shared, frozen object (what their variable's configuration and
 * a totalizer's offset applied): its JSON is encoded to bytes once and kept with it. One that is a shared object plus
 * the reading's own number (a level's water column, see `withReadingValue`) is that object's JSON with the number
 * added. Any other object is compared with the last one (consecutive rows of a series are often equal) before it
 * is encoded.
 */
class ConfigJson {
  private last: Applied | undefined;
  private json = '';
  encoded(value: Applied): string | Buffer {
    if (Object.isFrozen(value)) return sharedJson(value);
    const part = readingPart(value);
    if (part) return `${openJson(part.shared, part.key)}${Number.isFinite(part.value) ? String(part.value) : 'null'}}`;
    if (!this.last || !shallowEqual(this.last, value)) {
      this.last = value;
      this.json = JSON.stringify(value);
    }
    return this.json;
  }
}

function sharedJson(value: Applied): Buffer {
  let bytes = sharedConfigJson.get(value);
  if (!bytes) sharedConfigJson.set(value, (bytes = Buffer.from(JSON.stringify(value))));
  return bytes;
}
const sharedConfigJson = new WeakMap<object, Buffer>();

/** A shared object's JSON left open for one more key: `{"kind":"level",…,"key":` (kept with the object, per key). */
function openJson(shared: Applied, key: string): string {
  let byKey = openConfigJson.get(shared);
  if (!byKey) openConfigJson.set(shared, (byKey = new Map()));
  let head = byKey.get(key);
  if (head === undefined) {
    const json = JSON.stringify(shared);
    byKey.set(key, (head = `${json.length > 2 ? json.slice(0, -1) + ',' : '{'}${JSON.stringify(key)}:`));
  }
  return head;
}
const openConfigJson = new WeakMap<object, Map<string, string>>();

/** Characters that need no JSON escaping: a plain string raw value is just quoted. */
const PLAIN_RAW = /^[\w .,:+-]*$/;

/** raw_value as JSON text. Providers mostly send numbers or short numeric strings. */
function rawValueJson(raw: unknown): string {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'string' && PLAIN_RAW.test(raw)) return '"' + raw + '"';
  return JSON.stringify(raw);
}
function shallowEqual(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}
