import type { Db } from '../../infra/db/index.js';
import { escapeLike } from '../../infra/db/sql.js';
import type { DeadLetter } from './dead-letter.schemas.js';


export interface DeadLetterFilter {
  /** One point, or every point (staff). */
  pointId?: number;
  /** Matches the code or the reason text: whole, or as a prefix. */
  reason?: { text: string; prefix: boolean };
  /** received_at in [from, to). */
  from: Date;
  to: Date;
  limit: number;
  offset: number;
}

export class DeadLetterRepository {
  constructor(private readonly db: Db) {}

  /** Newest first. */
  async list(f: DeadLetterFilter): Promise<{ items: DeadLetter[]; total: number }> {
    const params: unknown[] = [f.from, f.to];
    const conds = ['received_at >= $1', 'received_at < $2'];
    if (f.pointId !== undefined) conds.push(`point_id = $${params.push(f.pointId)}`);
    if (f.reason?.prefix) {
      const p = `$${params.push(`${escapeLike(f.reason.text)}%`)}`;
      conds.push(`(code LIKE ${p} ESCAPE '\\' OR reason LIKE ${p} ESCAPE '\\')`);
    } else if (f.reason) {
      const p = `$${params.push(f.reason.text)}`;
      conds.push(`(code = ${p} OR reason = ${p})`);
    }
    const where = conds.join(' AND ');
    const [page, total] = await Promise.all([
      this.db.query<DeadLetter & { id: string | number; point_id: string | number | null }>(
        `SELECT id, point_id, variable, ts, code, reason, payload, received_at FROM dead_letters
         WHERE ${where} ORDER BY received_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, f.limit, f.offset],
      ),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE ${where}`, params),
    ]);
    return {
      items: page.rows.map((r) => ({ ...r, id: Number(r.id), point_id: r.point_id === null ? null : Number(r.point_id) })),
      total: Number(total.rows[0]?.n ?? 0),
    };
  }
}
