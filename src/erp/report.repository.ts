import type { Db } from '../infra/db/index.js';

export interface ReportFilter {
  from: string;
  to: string;
  client_id?: number;
  project_id?: number;
}

/** Sums per currency, as numeric text. */
export interface ReportSums {
  quoted: Map<string, string>;
  invoiced: Map<string, string>;
  invoicedNet: Map<string, string>;
  outstanding: Map<string, string>;
  paid: Map<string, string>;
  expenses: Map<string, string>;
  expensesNet: Map<string, string>;
}

/** The ERP report's sums over one period (inclusive calendar dates), for one client and/or project or all. */
export class ReportRepository {
  constructor(private readonly db: Db) {}

  async sums(f: ReportFilter): Promise<ReportSums> {
    const scope = (alias: string, clientColumn: string, params: unknown[]) => {
      const where: string[] = [];
      if (f.client_id !== undefined) where.push(`${clientColumn} = $${params.push(f.client_id)}`);
      if (f.project_id !== undefined) where.push(`${alias}.project_id = $${params.push(f.project_id)}`);
      return where.map((w) => ` AND ${w}`).join('');
    };
    const run = async (sql: (params: unknown[]) => string) => {
      const params: unknown[] = [f.from, f.to];
      const { rows } = await this.db.query<Record<string, string>>(sql(params), params);
      return rows;
    };
    const [quotes, invoices, payments, expenses] = await Promise.all([
      run((p) => `SELECT q.currency, sum(q.total)::text AS total FROM quotes q
                   WHERE q.status <> 'DRAFT' AND q.issue_date BETWEEN $1 AND $2${scope('q', 'q.client_id', p)} GROUP BY q.currency`),
      run((p) => `SELECT i.currency, sum(i.total)::text AS total, sum(i.subtotal)::text AS net, sum(i.total - i.paid_amount)::text AS outstanding
                    FROM invoices i
                   WHERE i.status NOT IN ('DRAFT', 'CANCELLED') AND i.issue_date BETWEEN $1 AND $2${scope('i', 'i.client_id', p)} GROUP BY i.currency`),
      run((p) => `SELECT i.currency, sum(pm.amount)::text AS total FROM payments pm JOIN invoices i ON i.id = pm.invoice_id
                   WHERE pm.paid_at BETWEEN $1 AND $2${scope('i', 'i.client_id', p)} GROUP BY i.currency`),
      run((p) => `SELECT e.currency, sum(e.total)::text AS total, sum(e.amount)::text AS net FROM expenses e JOIN projects pr ON pr.id = e.project_id
                   WHERE e.expense_date BETWEEN $1 AND $2${scope('e', 'pr.client_id', p)} GROUP BY e.currency`),
    ]);
    const by = (rows: Record<string, string>[], col: string) => new Map(rows.map((r) => [r.currency!, r[col]!]));
    return {
      quoted: by(quotes, 'total'),
      invoiced: by(invoices, 'total'),
      invoicedNet: by(invoices, 'net'),
      outstanding: by(invoices, 'outstanding'),
      paid: by(payments, 'total'),
      expenses: by(expenses, 'total'),
      expensesNet: by(expenses, 'net'),
    };
  }
}
