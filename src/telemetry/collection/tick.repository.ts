import type { Db } from '../../infra/db/index.js';
import type { CollectionStats } from './collection.service.js';

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
