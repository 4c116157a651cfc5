import type { Queryable } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import { ExpenseRepository, type ExpenseRow } from './expense.repository.js';
import { takeNumber } from './numbering.repository.js';
import { references } from './references.repository.js';
import { todayIn, type ErpDeps } from './erp.deps.js';
import { CURRENCY_DECIMALS, DEFAULT_TAX_RATE, amountText, checkAmount, formatUnits, normalizeDecimal, parseAmount, taxOf } from './money.js';
import type { ExpenseInput, ExpenseView } from './erp.schemas.js';

/** Expenses (GAS-YYYY-NNNN): staff only. IVA and total are computed from the net amount and the rate. */
export class ExpenseService {
  private readonly repo: ExpenseRepository;

  constructor(private readonly deps: ErpDeps) {
    this.repo = new ExpenseRepository(deps.db);
  }

  async list(actor: Principal, q: { limit: number; offset: number; project_id?: number; client_id?: number; category?: string; from?: string; to?: string }): Promise<Page<ExpenseView>> {
    requireStaff(actor);
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new ValidationError(`from ${q.from} is after to ${q.to}`, 'from');
    const page = await this.repo.list(q, q.limit, q.offset);
    return { items: page.items.map(view), total: page.total };
  }

  async get(actor: Principal, id: number): Promise<ExpenseView> {
    requireStaff(actor);
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundError('EXPENSE_NOT_FOUND', `expense ${id} does not exist`);
    return view(row);
  }

  async create(actor: Principal, body: ExpenseInput): Promise<ExpenseView> {
    requireStaff(actor);
    const id = await this.deps.db.transaction((tx) => this.createIn(tx, actor, body, null));
    return this.get(actor, id);
  }

  /** Inside the caller's transaction (a maintenance record with a cost creates its expense with it). */
  async createIn(tx: Queryable, actor: Principal, body: ExpenseInput, equipmentId: number | null): Promise<number> {
    const currency = body.currency ?? 'CLP';
    const amount = parseAmount(body.amount, currency, 'amount');
    const taxRate = body.tax_rate ?? DEFAULT_TAX_RATE;
    const tax = taxOf(amount, taxRate, currency);
    const total = checkAmount(amount + tax, currency, 'amount');
    const decimals = CURRENCY_DECIMALS[currency];
    // Numbered by the year of recording, like quotes and invoices (a back-dated expense keeps its expense_date).
    const number = await takeNumber(tx, 'GAS', Number(todayIn(this.deps).slice(0, 4)));
    if ((await references.projectClient(tx, body.project_id)) === undefined) {
      throw new ValidationError(`project_id ${body.project_id} does not exist`, 'project_id');
    }
    if (body.point_id != null) {
      const owner = await references.pointOwner(tx, body.point_id);
      if (!owner) throw new ValidationError(`point_id ${body.point_id} does not exist`, 'point_id');
      if (owner.project_id !== body.project_id) throw new ValidationError(`point ${body.point_id} belongs to project ${owner.project_id}, not to project ${body.project_id}`, 'point_id');
    }
    return this.repo.insert(tx, number, {
      category: body.category,
      supplier: body.supplier ?? null,
      description: body.description ?? null,
      currency,
      amount: formatUnits(amount, decimals),
      tax_rate: taxRate,
      tax_amount: formatUnits(tax, decimals),
      total: formatUnits(total, decimals),
      expense_date: body.expense_date,
      project_id: body.project_id,
      point_id: body.point_id ?? null,
      equipment_id: equipmentId,
      attachment_ref: body.attachment_ref ?? null,
      created_by: actor.userId,
    });
  }

  /** The expense's number (for maintenance answers). */
  async numberOf(id: number, q?: Queryable): Promise<string | undefined> {
    return (await this.repo.get(id, q))?.number;
  }
}

function view(row: ExpenseRow): ExpenseView {
  return {
    ...row,
    amount: amountText(row.amount, row.currency),
    tax_rate: normalizeDecimal(row.tax_rate),
    tax_amount: amountText(row.tax_amount, row.currency),
    total: amountText(row.total, row.currency),
  };
}
