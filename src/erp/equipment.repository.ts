import type { Db, Queryable } from '../infra/db/index.js';
import { count, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { AssignmentView, EquipmentInput } from './erp.schemas.js';

export interface EquipmentRow {
  id: number;
  name: string;
  serial_number: string;
  category: 'flowmeter' | 'level_sensor' | 'datalogger' | 'modem' | 'solar_panel' | 'other';
  manufacturer: string | null;
  model: string | null;
  specifications: Record<string, unknown>;
  purchase_date: string | null;
  installation_date: string | null;
  warranty_expires: string | null;
  status: 'in_stock' | 'installed' | 'under_repair' | 'retired';
  project_id: number | null;
  point_id: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface MaintenanceRow {
  id: number;
  equipment_id: number;
  performed_on: string;
  kind: 'preventive' | 'corrective' | 'calibration' | 'inspection' | 'other';
  notes: string | null;
  cost: string | null;
  expense_id: number | null;
  expense_number: string | null;
  created_at: Date;
}

const COLUMNS = [
  'name', 'serial_number', 'category', 'manufacturer', 'model', 'specifications', 'purchase_date', 'installation_date', 'warranty_expires', 'status',
] as const;

export interface EquipmentFilter {
  /** Warranty ends from `warrantyFrom` to `warrantyTo` (inclusive). */
  warrantyFrom?: string;
  warrantyTo?: string;
  status?: string;
  project_id?: number;
  point_id?: number;
  serial_number?: string;
}

export class EquipmentRepository {
  constructor(private readonly db: Db) {}

  async list(f: EquipmentFilter, limit: number, offset: number): Promise<Page<EquipmentRow>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.warrantyFrom !== undefined) where.push(`warranty_expires >= $${params.push(f.warrantyFrom)}`);
    if (f.warrantyTo !== undefined) where.push(`warranty_expires <= $${params.push(f.warrantyTo)}`);
    if (f.status !== undefined) where.push(`status = $${params.push(f.status)}`);
    if (f.project_id !== undefined) where.push(`project_id = $${params.push(f.project_id)}`);
    if (f.point_id !== undefined) where.push(`point_id = $${params.push(f.point_id)}`);
    if (f.serial_number !== undefined) where.push(`lower(serial_number) = lower($${params.push(f.serial_number)})`);
    const base = `SELECT * FROM equipment ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const order = f.warrantyTo !== undefined ? 'warranty_expires, id' : 'id';
    const [items, total] = await Promise.all([
      this.db.query<EquipmentRow>(`${base} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]),
      count(this.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get(id: number, q: Queryable = this.db, lock = false): Promise<EquipmentRow | undefined> {
    const { rows } = await q.query<EquipmentRow>(`SELECT * FROM equipment WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0];
  }

  /** Ids of equipment with this serial number, whatever the case. */
  async idsWithSerial(serial: string): Promise<number[]> {
    const { rows } = await this.db.query<{ id: number }>('SELECT id FROM equipment WHERE lower(serial_number) = lower($1)', [serial]);
    return rows.map((r) => Number(r.id));
  }

  async insert(input: EquipmentInput): Promise<EquipmentRow> {
    const { sql, params } = insertStatement('equipment', withJson(input), COLUMNS);
    const { rows } = await this.db.query<EquipmentRow>(sql, params);
    return rows[0]!;
  }

  async update(id: number, input: EquipmentInput): Promise<EquipmentRow | undefined> {
    const stmt = updateStatement('equipment', id, withJson(input), COLUMNS);
    if (!stmt) return undefined;
    const { rows } = await this.db.query<EquipmentRow>(stmt.sql, stmt.params);
    return rows[0];
  }

  async place(tx: Queryable, id: number, to: { project_id: number | null; point_id: number | null; status: string }): Promise<void> {
    await tx.query('UPDATE equipment SET project_id = $2, point_id = $3, status = $4, updated_at = now() WHERE id = $1', [id, to.project_id, to.point_id, to.status]);
  }

  async insertAssignment(
    tx: Queryable,
    a: Omit<AssignmentView, 'id' | 'assigned_at'>,
  ): Promise<AssignmentView> {
    const { rows } = await tx.query<AssignmentView>(
      `INSERT INTO equipment_assignments (equipment_id, from_project_id, from_point_id, to_project_id, to_point_id, notes, assigned_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [a.equipment_id, a.from_project_id, a.from_point_id, a.to_project_id, a.to_point_id, a.notes, a.assigned_by],
    );
    return rows[0]!;
  }

  async assignments(equipmentId: number): Promise<AssignmentView[]> {
    const { rows } = await this.db.query<AssignmentView>(
      'SELECT * FROM equipment_assignments WHERE equipment_id = $1 ORDER BY assigned_at, id',
      [equipmentId],
    );
    return rows;
  }

  async insertMaintenance(
    tx: Queryable,
    m: { equipment_id: number; performed_on: string; kind: string; notes: string | null; cost: string | null; expense_id: number | null; created_by: number },
  ): Promise<number> {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO equipment_maintenance (equipment_id, performed_on, kind, notes, cost, expense_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [m.equipment_id, m.performed_on, m.kind, m.notes, m.cost, m.expense_id, m.created_by],
    );
    return Number(rows[0]!.id);
  }

  async maintenance(equipmentId: number, id?: number): Promise<MaintenanceRow[]> {
    const { rows } = await this.db.query<MaintenanceRow>(
      `SELECT m.id, m.equipment_id, m.performed_on, m.kind, m.notes, m.cost::text AS cost, m.expense_id, e.number AS expense_number, m.created_at
         FROM equipment_maintenance m LEFT JOIN expenses e ON e.id = m.expense_id
        WHERE m.equipment_id = $1 ${id === undefined ? '' : 'AND m.id = $2'} ORDER BY m.performed_on, m.id`,
      id === undefined ? [equipmentId] : [equipmentId, id],
    );
    return rows;
  }
}

/** jsonb parameters go as JSON text. */
function withJson(input: EquipmentInput): EquipmentInput {
  return input.specifications === undefined ? input : ({ ...input, specifications: JSON.stringify(input.specifications) } as unknown as EquipmentInput);
}
