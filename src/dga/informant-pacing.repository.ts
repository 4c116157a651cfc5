import type { Db } from '../infra/db/index.js';

/**
 * The shared claim on an informante RUT that keeps DGA requests of one RUT apart across reporters
 * (migrations/0011). Times are the database's clock, the one all reporters share.
 */
export class InformantPacingRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes the RUT for one request when its next allowed send time has passed, holding it for `holdMs`
   * (the longest a request may take). Otherwise says how long until the next allowed send time.
   */
  async take(rut: string, token: string, holdMs: number): Promise<{ taken: true } | { taken: false; waitMs: number }> {
    const { rows } = await this.db.query<{ taken: boolean }>(
      `INSERT INTO dga_informant_pacing (informante_rut, next_at, held_by)
       VALUES ($1, clock_timestamp() + $3 * interval '1 millisecond', $2)
       ON CONFLICT (informante_rut) DO UPDATE SET next_at = EXCLUDED.next_at, held_by = EXCLUDED.held_by, updated_at = now()
       WHERE dga_informant_pacing.next_at <= clock_timestamp()
       RETURNING true AS taken`,
      [rut, token, holdMs],
    );
    if (rows[0]) return { taken: true };
    const wait = await this.db.query<{ ms: number }>(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (next_at - clock_timestamp())) * 1000)::float8 AS ms
       FROM dga_informant_pacing WHERE informante_rut = $1`,
      [rut],
    );
    return { taken: false, waitMs: Number(wait.rows[0]?.ms ?? 0) };
  }

  /** Ends the hold: the next request for the RUT may go out `spacingMs` from now (0: nothing was sent). */
  async release(rut: string, token: string, spacingMs: number): Promise<void> {
    await this.db.query(
      `UPDATE dga_informant_pacing SET next_at = clock_timestamp() + $3 * interval '1 millisecond', held_by = NULL, updated_at = now()
       WHERE informante_rut = $1 AND held_by = $2`,
      [rut, token, spacingMs],
    );
  }
}
