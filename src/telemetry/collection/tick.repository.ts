import type { Db } from '../../infra/db/index.js';
import type { CollectionStats } from './collection.service.js';

/** Who holds a tick, since when, whether it is done, and when its collector last showed it is alive. */
export interface TickState {
  frequency: number;
  claimedBy: string;
  claimedAt: Date;
  finished: boolean;
  holderBeatAt: Date | null;
}

/** Distributed tick ownership: the first collector to insert the row collects the tick. */
export class TickClaimRepository {
  constructor(private readonly db: Db) {}

  async claim(frequency: number, at: Date, owner: string): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO collection_ticks (frequency, tick_at, claimed_by) VALUES ($1, $2, $3)
       ON CONFLICT (frequency, tick_at) DO NOTHING RETURNING tick_at`,
      [frequency, at, owner],
    );
    return r.rows.length === 1;
  }

  async finish(frequency: number, at: Date, stats: CollectionStats): Promise<void> {
    await this.db.query(
      `UPDATE collection_ticks SET finished_at = now(), points = $3, readings = $4, ok = $5, no_data = $6, failed = $7,
         by_provider = $8
       WHERE frequency = $1 AND tick_at = $2`,
      [frequency, at, stats.points, stats.readings, stats.ok, stats.no_data, stats.failed, JSON.stringify(stats.by_provider)],
    );
  }

  /**
   * The catch-up of `frequency` during the tick that starts at `at`: only the first collector to ask gets it
   * (asking again, to retry a failed catch-up, it gets it again), or the first to take over a dead holder's claim.
   */
  async claimCatchUp(frequency: number, at: Date, owner: string, holderStaleBefore: Date | null = null): Promise<boolean> {
    // `holderStaleBefore`: a claim whose collector has not beaten since then is a dead collector's; the first to
    // ask takes it over (the points' cursors say where the dead one stopped).
    const r = await this.db.query(
      `INSERT INTO collection_catchups (frequency, tick_at, claimed_by) VALUES ($1, $2, $3)
       ON CONFLICT (frequency, tick_at) DO UPDATE SET claimed_at = now(), claimed_by = EXCLUDED.claimed_by
         WHERE collection_catchups.claimed_by = EXCLUDED.claimed_by
            OR ($4::timestamptz IS NOT NULL AND NOT EXISTS (
                 SELECT 1 FROM collector_heartbeats h WHERE h.owner = collection_catchups.claimed_by AND h.beat_at >= $4::timestamptz))
       RETURNING tick_at`,
      [frequency, at, owner, holderStaleBefore],
    );
    return r.rows.length === 1;
  }

  /** The claims of the given ticks that exist, with their collectors' last heartbeat. */
  async states(ticks: readonly { frequency: number; at: Date }[]): Promise<Map<number, TickState>> {
    if (ticks.length === 0) return new Map();
    const { rows } = await this.db.query<{ frequency: number; claimed_by: string; claimed_at: Date; finished: boolean; beat_at: Date | null }>(
      `SELECT t.frequency, t.claimed_by, t.claimed_at, t.finished_at IS NOT NULL AS finished, h.beat_at
       FROM collection_ticks t JOIN unnest($1::int[], $2::timestamptz[]) AS k(frequency, tick_at)
         ON t.frequency = k.frequency AND t.tick_at = k.tick_at
       LEFT JOIN collector_heartbeats h ON h.owner = t.claimed_by`,
      [ticks.map((t) => t.frequency), ticks.map((t) => t.at)],
    );
    return new Map(rows.map((r) => [Number(r.frequency), {
      frequency: Number(r.frequency), claimedBy: r.claimed_by, claimedAt: new Date(r.claimed_at), finished: r.finished,
      holderBeatAt: r.beat_at ? new Date(r.beat_at) : null,
    }]));
  }

  /** This collector is alive (stamped at every pass of its loop); rows of collectors gone for a day are dropped. */
  async beat(owner: string, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO collector_heartbeats (owner, beat_at) VALUES ($1, $2) ON CONFLICT (owner) DO UPDATE SET beat_at = EXCLUDED.beat_at`,
      [owner, at],
    );
    await this.db.query(`DELETE FROM collector_heartbeats WHERE beat_at < $1::timestamptz - interval '1 day'`, [at]);
  }

  /** The newest claimed tick of each of `frequencies` that has one (one index look-up each). */
  async lastTicks(frequencies: readonly number[]): Promise<Map<number, Date>> {
    const { rows } = await this.db.query<{ frequency: number; at: Date | null }>(
      `SELECT f AS frequency, (SELECT max(tick_at) FROM collection_ticks WHERE frequency = f) AS at
       FROM unnest($1::int[]) AS f`,
      [frequencies],
    );
    return new Map(rows.filter((r) => r.at !== null).map((r) => [Number(r.frequency), new Date(r.at!)]));
  }
}
