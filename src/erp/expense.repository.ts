import type { Db, Queryable } from '../infra/db/index.js';
import { count, type Page } from '../infra/db/sql.js';

export interface ExpenseRow {
  id: number;
  number: string;
  category: 'equipment' | 'installation' | 'maintenance' | 'travel' | 'services' | 'other';
  supplier: string | null;
  description: string | null;
  currency: 'CLP' | 'UF';
  amount: string;
  tax_rate: string;
  tax_amount: string;
  total: string;
  expense_date: string;
  client_id: number;
  project_id: number;
  point_id: number | null;
  equipment_id: number | null;
  attachment_ref: string | null;
  created_at: Date;
}

export type NewExpense = Omit<ExpenseRow, 'id' | 'number' | 'client_id' | 'created_at'> & { created_by: number };

const SELECT = `SELECT e.id, e.number, e.category, e.supplier, e.description, e.currency, e.amount::text AS amount, e.tax_rate::text AS tax_rate,
       e.tax_amount::text AS tax_amount, e.total::text AS total, e.expense_date, p.client_id, e.project_id, e.point_id, e.equipment_id,
       e.attachment_ref, e.created_at
  FROM expenses e JOIN projects p ON p.id = e.project_id`;

export interface ExpenseFilter {
  project_id?: number;
  client_id?: number;
  category?: string;
  from?: string;
  to?: string;
}

export class ExpenseRepository {
  constructor(private readonly db: Db) {}

  async list(f: ExpenseFilter, limit: number, offset: number): Promise<Page<ExpenseRow>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.project_id !== undefined) where.push(`e.project_id = $${params.push(f.project_id)}`);
    if (f.client_id !== undefined) where.push(`p.client_id = $${params.push(f.client_id)}`);
    if (f.category !== undefined) where.push(`e.category = $${params.push(f.category)}`);
    if (f.from !== undefined) where.push(`e.expense_date >= $${params.push(f.from)}`);
    if (f.to !== undefined) where.push(`e.expense_date <= $${params.push(f.to)}`);
    const base = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const [items, total] = await Promise.all([
      this.db.query<ExpenseRow>(`${base} ORDER BY e.expense_date DESC, e.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]),
      count(this.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get(id: number, q: Queryable = this.db): Promise<ExpenseRow | undefined> {
    const { rows } = await q.query<ExpenseRow>(`${SELECT} WHERE e.id = $1`, [id]);
    return rows[0];
  }

  async insert(tx: Queryable, number: string, e: NewExpense): Promise<number> {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO expenses (number, category, supplier, description, currency, amount, tax_rate, tax_amount, total, expense_date,
                             project_id, point_id, equipment_id, attachment_ref, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
      [number, e.category, e.supplier, e.description, e.currency, e.amount, e.tax_rate, e.tax_amount, e.total, e.expense_date,
        e.project_id, e.point_id, e.equipment_id, e.attachment_ref, e.created_by],
    );
    return Number(rows[0]!.id);
  }
}
