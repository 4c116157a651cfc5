import type { Queryable } from './db.js';

/** Row counts that tell an operator a restored store is the one backed up. */
export interface StoreCounts {
  clients: number;
  points: number;
  measurements: number;
  dga_submissions: number;
  dga_receipts: number;
}

/** What a whole store holds, read by backup (into its manifest) and by restore (to check it against). */
export class StoreCensusRepository {
  constructor(private readonly db: Queryable) {}

  async counts(): Promise<StoreCounts> {
    const r = await this.db.query<StoreCounts>(
      `SELECT (SELECT count(*) FROM clients)::int AS clients,
              (SELECT count(*) FROM catchment_points)::int AS points,
              (SELECT count(*) FROM measurements)::int AS measurements,
              (SELECT count(*) FROM dga_submissions)::int AS dga_submissions,
              (SELECT count(*) FROM dga_submissions WHERE receipt IS NOT NULL)::int AS dga_receipts`,
    );
    return r.rows[0]!;
  }

  /** The last applied migration, or null before the first (or without the migrations table). */
  async lastMigration(): Promise<string | null> {
    const r = await this.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1').catch(() => ({ rows: [] }));
    return r.rows[0]?.name ?? null;
  }
}
