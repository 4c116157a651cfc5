import type { Queryable } from '../infra/db/index.js';

/** The registry rows an ERP document points at: does the client exist, whose is a project, where is a point. */
export const references = {
  async clientExists(q: Queryable, id: number): Promise<boolean> {
    const { rows } = await q.query('SELECT 1 FROM clients WHERE id = $1', [id]);
    return rows.length > 0;
  },

  /** The project's client, undefined when there is no such project. */
  async projectClient(q: Queryable, id: number): Promise<number | undefined> {
    const { rows } = await q.query<{ client_id: number }>('SELECT client_id FROM projects WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : Number(rows[0].client_id);
  },

  /** The point's project and client, undefined when there is no such point. */
  async pointOwner(q: Queryable, id: number): Promise<{ project_id: number; client_id: number } | undefined> {
    const { rows } = await q.query<{ project_id: number; client_id: number }>(
      'SELECT p.project_id, pr.client_id FROM catchment_points p JOIN projects pr ON pr.id = p.project_id WHERE p.id = $1',
      [id],
    );
    return rows[0] === undefined ? undefined : { project_id: Number(rows[0].project_id), client_id: Number(rows[0].client_id) };
  },
};

/** What a PDF shows of the client and project. */
export async function partiesOf(
  q: Queryable,
  clientId: number,
  projectId: number | null,
): Promise<{ client: { name: string; rut: string; address: string | null }; project: string | null }> {
  const { rows } = await q.query<{ name: string; rut: string; address: string | null }>('SELECT name, rut, address FROM clients WHERE id = $1', [clientId]);
  const project = projectId === null ? [] : (await q.query<{ name: string }>('SELECT name FROM projects WHERE id = $1', [projectId])).rows;
  return { client: rows[0] ?? { name: `client ${clientId}`, rut: '', address: null }, project: project[0]?.name ?? null };
}
