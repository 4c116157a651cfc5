import type { Db } from '../../infra/db/index.js';
import type { ProviderName } from '../../providers/provider.js';

/** A point the collector fetches, as stored: the provider token stays ciphertext. */
export interface CollectPoint {
  id: number;
  provider: ProviderName | 'push';
  frequency: number;
  provider_device: string | null;
  provider_token_enc: string | null;
  provider_account_id: number | null;
  telemetry_start_at: string | null;
}

/** SQL of the collector: points to collect and the per-variable cursors. */
export class CollectionRepository {
  constructor(private readonly db: Db) {}

  /** Telemetry-active points of the given providers (and frequency, when given), by id. */
  async activePoints(providers: readonly string[], frequency?: number): Promise<CollectPoint[]> {
    const { rows } = await this.db.query<CollectPoint>(
      `SELECT id, provider, frequency, provider_device, provider_token_enc, provider_account_id,
              to_char(telemetry_start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS telemetry_start_at
       FROM catchment_points
       WHERE is_telemetry_active AND provider = ANY($1::text[]) AND ($2::int IS NULL OR frequency = $2)
       ORDER BY id`,
      [providers, frequency || null],
    );
    return rows;
  }

  /** The frequencies (minutes) of telemetry-active points of the given providers. */
  async activeFrequencies(providers: readonly string[]): Promise<number[]> {
    const { rows } = await this.db.query<{ frequency: number }>(
      'SELECT DISTINCT frequency FROM catchment_points WHERE is_telemetry_active AND provider = ANY($1::text[]) ORDER BY frequency',
      [providers],
    );
    return rows.map((r) => Number(r.frequency));
  }

  /** Cursor (epoch ms) of each variable of each point that has one. */
  async loadCursors(pointIds: number[]): Promise<Map<number, Map<string, number>>> {
    const out = new Map<number, Map<string, number>>();
    if (pointIds.length === 0) return out;
    const { rows } = await this.db.query<{ point_id: number; variable: string; cursor_ts: Date }>(
      'SELECT point_id, variable, cursor_ts FROM collection_cursors WHERE point_id = ANY($1::bigint[])',
      [pointIds],
    );
    for (const r of rows) {
      const id = Number(r.point_id);
      if (!out.has(id)) out.set(id, new Map());
      out.get(id)!.set(r.variable, new Date(r.cursor_ts).getTime());
    }
    return out;
  }

  /** Moves cursors forward only: a late, older acknowledgement never moves one back. */
  async saveCursors(pointId: number, newest: Map<string, number>): Promise<void> {
    if (newest.size === 0) return;
    await this.db.query(
      `INSERT INTO collection_cursors (point_id, variable, cursor_ts)
       SELECT $1, v, t FROM json_to_recordset($2::json) AS j(v text, t timestamptz)
       ON CONFLICT (point_id, variable) DO UPDATE SET cursor_ts = GREATEST(collection_cursors.cursor_ts, EXCLUDED.cursor_ts), updated_at = now()`,
      [pointId, JSON.stringify([...newest].map(([v, t]) => ({ v, t: new Date(t).toISOString() })))],
    );
  }
}
