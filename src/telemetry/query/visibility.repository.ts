import type { Db } from '../../infra/db/index.js';

/** SQL of point visibility. */
export class VisibilityRepository {
  constructor(private readonly db: Db) {}

  /**
   * Ids of the points of a client (every point when `clientId` is null), ascending, as one
   * comma-separated text: the form the cache keeps, built by the database in one row.
   */
  async pointIdList(clientId: number | null): Promise<string> {
    const { rows } = await this.db.query<{ ids: string | null }>(
      `SELECT string_agg(p.id::text, ',' ORDER BY p.id) AS ids
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id
       WHERE $1::bigint IS NULL OR pr.client_id = $1`,
      [clientId],
    );
    return rows[0]?.ids ?? '';
  }
}
