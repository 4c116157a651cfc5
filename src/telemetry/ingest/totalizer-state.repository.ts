import type { Db, Queryable } from '../../infra/db/index.js';
import type { ConfirmedReset, ResetEvent, ResetMove, TotalizerState } from '../processing/index.js';

/** SQL of the totalizers' memory: their state between batches, the reset log, moved resets, confirmed suspects. */
export class TotalizerStateRepository {
  constructor(private readonly db: Db) {}

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

