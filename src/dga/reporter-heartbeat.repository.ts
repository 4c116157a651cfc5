import type { Db } from '../infra/db/index.js';

/** Reporters gone for longer than this lose their row (a restarted process has a new owner name). */
const FORGET_AFTER = '1 day';

/** When each reporter last ran its loop. */
export class ReporterHeartbeatRepository {
  constructor(private readonly db: Db) {}

  async beat(owner: string, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO reporter_heartbeats (owner, beat_at) VALUES ($1, $2)
       ON CONFLICT (owner) DO UPDATE SET beat_at = EXCLUDED.beat_at`,
      [owner, at],
    );
    await this.db.query(`DELETE FROM reporter_heartbeats WHERE beat_at < $1::timestamptz - interval '${FORGET_AFTER}'`, [at]);
  }

  /** The newest beat of any reporter; null when none ever ran. */
  async latest(): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>('SELECT max(beat_at) AS at FROM reporter_heartbeats');
    return rows[0]?.at ? new Date(rows[0].at) : null;
  }
}
