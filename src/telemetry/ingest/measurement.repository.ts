import { escapeCopyText, type Db, type Queryable } from '../../infra/db/index.js';
import type { ConfirmedReset, Measurement, ResetEvent, ResetMove, TotalizerState } from '../processing/index.js';

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


/** SQL of the write path: measurements, latest values, totalizer state, resets, dead letters. */
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

  async loadStates(pointIds: number[]): Promise<Map<string, TotalizerState>> {
    const out = new Map<string, TotalizerState>();
    if (pointIds.length === 0) return out;
    const { rows } = await this.db.query<{ point_id: number; variable: string; state: SerializedState }>(
      'SELECT point_id, variable, state FROM totalizer_state WHERE point_id = ANY($1::bigint[])',
      [pointIds],
    );
    for (const r of rows) out.set(`${r.point_id}\u0000${r.variable}`, deserializeState(r.state));
    return out;
  }

  async saveStates(tx: Queryable, states: { point_id: number; variable: string; state: TotalizerState }[]): Promise<void> {
    if (states.length === 0) return;
    const payload = JSON.stringify(states.map((s) => ({ p: s.point_id, v: s.variable, s: serializeState(s.state) })));
    await tx.query(
      `INSERT INTO totalizer_state (point_id, variable, state)
       SELECT p, v, s FROM json_to_recordset($1::json) AS j(p bigint, v text, s jsonb)
       WHERE EXISTS (SELECT 1 FROM catchment_points cp WHERE cp.id = j.p)
       ON CONFLICT (point_id, variable) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [payload],
    );
  }

  async logResets(tx: Queryable, resets: { point_id: number; reset: ResetEvent }[]): Promise<void> {
    if (resets.length === 0) return;
    const payload = JSON.stringify(
      resets.map(({ point_id, reset: r }) => ({
        p: point_id, v: r.variable, t: r.ts.toISOString(), a: r.previousRaw, b: r.newRaw, l: r.lostVolume,
        o1: r.offsetBefore, o2: r.offsetAfter,
      })),
    );
    await tx.query(
      `INSERT INTO totalizer_resets (point_id, variable, ts, previous_raw, new_raw, lost_volume, offset_before, offset_after)
       SELECT p, v, t, a, b, l, o1, o2 FROM json_to_recordset($1::json)
         AS j(p bigint, v text, t timestamptz, a float8, b float8, l float8, o1 float8, o2 float8)
       WHERE EXISTS (SELECT 1 FROM catchment_points cp WHERE cp.id = j.p)
       ON CONFLICT (point_id, variable, ts) DO NOTHING`,
      [payload],
    );
  }

  /**
   * A late reading moved a reset (ResetMove): the values stored from the reset on grow by the delta, and so
   * do the reset's offset and the offsets of later resets; the reset's pre-restart counter becomes the late
   * reading's. Run before this batch's rows are inserted: they already carry the moved offset.
   */
  async moveResets(tx: Queryable, moves: { point_id: number; move: ResetMove }[]): Promise<void> {
    for (const { point_id, move } of moves) {
      const key = [point_id, move.variable, move.resetTs, move.delta];
      await tx.query(
        `UPDATE measurements SET value_numeric = value_numeric + $4
         WHERE point_id = $1 AND variable = $2 AND ts >= $3 AND value_numeric IS NOT NULL`,
        key,
      );
      await tx.query(
        `UPDATE latest_values SET value_numeric = value_numeric + $4
         WHERE point_id = $1 AND variable = $2 AND ts >= $3 AND value_numeric IS NOT NULL`,
        key,
      );
      await tx.query(
        `UPDATE totalizer_resets
            SET offset_before = offset_before + CASE WHEN ts > $3 THEN $4 ELSE 0 END,
                offset_after = offset_after + $4,
                previous_raw = CASE WHEN ts = $3 THEN $5 ELSE previous_raw END,
                lost_volume = CASE WHEN ts = $3 THEN $5 ELSE lost_volume END
          WHERE point_id = $1 AND variable = $2 AND ts >= $3`,
        [...key, move.previousRaw],
      );
    }
  }

  /**
   * Stored readings held as suspect drops that the series showed to be resets: their value and meter
   * reading, and the flag becomes `counter_reset`.
   */
  async confirmSuspects(tx: Queryable, rows: { point_id: number; reset: ConfirmedReset; quality_score: number }[]): Promise<void> {
    for (const { point_id, reset, quality_score } of rows) {
      await tx.query(
        `UPDATE measurements
            SET value_numeric = $4, meter_value = $5, quality_score = $6,
                quality_flags = array_replace(quality_flags, 'suspect_drop', 'counter_reset')
          WHERE point_id = $1 AND variable = $2 AND ts = $3 AND 'suspect_drop' = ANY(quality_flags)`,
        [point_id, reset.variable, reset.ts, reset.value, reset.meter, quality_score],
      );
    }
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
 * COPY text lines of the rows (the processor's hot path: one string per row, no intermediate arrays).
 * Numbers, timestamps and flags cannot contain COPY's special characters; text and JSON are escaped.
 * Consecutive rows of one series usually carry the same processing_config: its JSON text is reused
 * while the object is shallow-equal to the previous one.
 */
function* copyLines(rows: readonly MeasurementRow[]): Generator<string> {
  let lastConfig: Record<string, unknown> | undefined;
  let configText = '';
  const variable = new LastText();
  const provider = new LastText();
  for (const r of rows) {
    if (!lastConfig || !shallowEqual(lastConfig, r.processing_config)) {
      lastConfig = r.processing_config;
      configText = escapeCopyText(JSON.stringify(lastConfig));
    }
    yield (
      r.point_id + '\t' +
      variable.escaped(r.variable) + '\t' +
      r.ts.toISOString() + '\t' +
      (r.value_numeric === null ? '\\N' : String(r.value_numeric)) + '\t' +
      (r.meter_value === null ? '\\N' : String(r.meter_value)) + '\t' +
      (r.value_text === null ? '\\N' : escapeCopyText(r.value_text)) + '\t' +
      (r.value_boolean === null ? '\\N' : r.value_boolean ? 't' : 'f') + '\t' +
      rawValueText(r.raw_value) + '\t' +
      r.quality_score + '\t' +
      (r.quality_flags.length === 0 ? '{}' : `{${r.quality_flags.join(',')}}`) + '\t' +
      provider.escaped(r.provider) + '\t' +
      configText + '\n'
    );
  }
}

/** Text fields repeat row after row (variable, provider): the last one's escaped form is reused. */
class LastText {
  private raw: string | undefined;
  private text = '';
  escaped(value: string): string {
    if (value !== this.raw) {
      this.raw = value;
      this.text = escapeCopyText(value);
    }
    return this.text;
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

interface SerializedState {
  offset: number;
  lastRaw: number | null;
  lastValue: number | null;
  lastTs: string | null;
  preSpike?: { raw: number; ts: string } | null;
  resets?: { ts: string; previousTs: string; previousRaw: number; newRaw: number; offsetBefore: number; offsetAfter: number }[];
  suspect?: { raw: number; ts: string } | null;
}

function serializeState(s: TotalizerState): SerializedState {
  return {
    offset: s.offset,
    lastRaw: s.lastRaw,
    lastValue: s.lastValue,
    lastTs: s.lastTs ? s.lastTs.toISOString() : null,
    preSpike: s.preSpike ? { raw: s.preSpike.raw, ts: s.preSpike.ts.toISOString() } : null,
    resets: (s.resets ?? []).map((r) => ({ ...r, ts: r.ts.toISOString(), previousTs: r.previousTs.toISOString() })),
    suspect: s.suspect ? { raw: s.suspect.raw, ts: s.suspect.ts.toISOString() } : null,
  };
}

function deserializeState(s: SerializedState): TotalizerState {
  return {
    offset: s.offset,
    lastRaw: s.lastRaw,
    lastValue: s.lastValue,
    lastTs: s.lastTs ? new Date(s.lastTs) : null,
    preSpike: s.preSpike ? { raw: s.preSpike.raw, ts: new Date(s.preSpike.ts) } : null,
    resets: (s.resets ?? []).map((r) => ({ ...r, ts: new Date(r.ts), previousTs: new Date(r.previousTs) })),
    suspect: s.suspect ? { raw: s.suspect.raw, ts: new Date(s.suspect.ts) } : null,
  };
}

