import { ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import { ReportRepository } from './report.repository.js';
import type { ErpDeps } from './erp.deps.js';
import { CURRENCIES, CURRENCY_DECIMALS, formatUnits, unitsOf, type Currency } from './money.js';
import type { ReportView } from './erp.schemas.js';

const CSV_COLUMNS = ['currency', 'quoted', 'invoiced', 'paid', 'outstanding', 'expenses', 'margin'] as const;

/**
 * Quoted, invoiced, paid, outstanding, expenses and margin over a period, per currency (CLP and UF are
 * never added together). Margin = invoiced net (before IVA) − expenses net (before IVA). Staff only.
 */
export class ReportService {
  private readonly repo: ReportRepository;

  constructor(deps: Pick<ErpDeps, 'db'>) {
    this.repo = new ReportRepository(deps.db);
  }

  async report(actor: Principal, q: { from: string; to: string; client_id?: number; project_id?: number }): Promise<ReportView> {
    requireStaff(actor);
    if (q.from > q.to) throw new ValidationError(`from ${q.from} is after to ${q.to}`, 'from');
    const s = await this.repo.sums(q);
    const currencies: ReportView['currencies'] = [];
    for (const currency of CURRENCIES) {
      const maps = [s.quoted, s.invoiced, s.paid, s.expenses];
      if (!maps.some((m) => m.has(currency))) continue;
      const units = (m: Map<string, string>) => unitsOf(m.get(currency) ?? '0', currency);
      const text = (u: bigint) => formatUnits(u, CURRENCY_DECIMALS[currency as Currency]);
      currencies.push({
        currency,
        quoted: text(units(s.quoted)),
        invoiced: text(units(s.invoiced)),
        paid: text(units(s.paid)),
        outstanding: text(units(s.outstanding)),
        expenses: text(units(s.expenses)),
        margin: text(units(s.invoicedNet) - units(s.expensesNet)),
      });
    }
    return { from: q.from, to: q.to, client_id: q.client_id ?? null, project_id: q.project_id ?? null, currencies };
  }
}

/** The report as CSV: one line per currency, decimal points, no thousands separators. */
export function reportCsv(r: ReportView): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of r.currencies) lines.push(CSV_COLUMNS.map((c) => row[c]).join(','));
  return lines.join('\n') + '\n';
}
