import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { useApi } from '../useApi.js';
import type { List } from '../types.js';
import { ErrorNote } from './parts.js';
import { useSession } from '../session.js';
import { day, decimalInput, FieldMessage, money, Pager, todayIn, useClientsAndProjects, type Currency } from './erp/common.js';

export const EXPENSE_CATEGORIES = ['equipment', 'installation', 'maintenance', 'travel', 'services', 'other'] as const;
type Category = (typeof EXPENSE_CATEGORIES)[number];
interface Expense {
  id: number;
  number: string;
  category: Category;
  supplier: string | null;
  description: string | null;
  currency: Currency;
  amount: string;
  tax_amount: string;
  total: string;
  expense_date: string;
  project_id: number;
  attachment_ref: string | null;
}
const PAGE = 50;

/** Expenses of the projects (GAS-YYYY-NNNN): the list and a form to record one. */
export default function ExpensesScreen() {
  const { t } = useI18n();
  const [offset, setOffset] = useState(0);
  const expenses = useApi((signal) => api<List<Expense>>('/expenses', { query: { limit: PAGE, offset }, signal }), [offset]);
  const { projectName } = useClientsAndProjects();

  return (
    <section aria-labelledby="expenses-title">
      <h1 id="expenses-title">{t('erp.expenses.title')}</h1>
      <ExpenseForm onSaved={() => (setOffset(0), expenses.reload())} />
      {expenses.error && <ErrorNote error={expenses.error} retry={expenses.reload} />}
      {expenses.data && expenses.data.items.length === 0 && <p className="muted">{t('erp.none')}</p>}
      {expenses.data && expenses.data.items.length > 0 && (
        <table data-testid="expenses-table">
          <thead>
            <tr>
              <th scope="col">{t('erp.number')}</th>
              <th scope="col">{t('erp.date')}</th>
              <th scope="col">{t('erp.category')}</th>
              <th scope="col">{t('erp.project')}</th>
              <th scope="col">{t('erp.supplier')}</th>
              <th scope="col" className="num">{t('erp.net')}</th>
              <th scope="col" className="num">{t('erp.total')}</th>
            </tr>
          </thead>
          <tbody>
            {expenses.data.items.map((x) => (
              <tr key={x.id}>
                <td>{x.number}</td>
                <td>{day(x.expense_date)}</td>
                <td>{t(`erp.expense.${x.category}`)}</td>
                <td>{projectName(x.project_id)}</td>
                <td>{x.supplier ?? '—'}</td>
                <td className="num">{money(x.amount, x.currency)}</td>
                <td className="num">{money(x.total, x.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager offset={offset} total={expenses.data?.total ?? 0} page={PAGE} onChange={setOffset} />
    </section>
  );
}

function ExpenseForm({ onSaved }: { onSaved(): void }) {
  const { t } = useI18n();
  const { projects } = useClientsAndProjects();
  const { meta } = useSession();
  const empty = { category: 'installation' as Category, project_id: '', supplier: '', description: '', currency: 'CLP' as Currency, amount: '', tax_rate: '19', expense_date: todayIn(meta.timezone), attachment_ref: '' };
  const [f, setF] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof empty, v: string) => setF((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/expenses', {
        method: 'POST',
        body: {
          category: f.category,
          project_id: Number(f.project_id),
          supplier: f.supplier.trim() || null,
          description: f.description.trim() || null,
          currency: f.currency,
          amount: decimalInput(f.amount),
          tax_rate: decimalInput(f.tax_rate) || '0',
          expense_date: f.expense_date,
          attachment_ref: f.attachment_ref.trim() || null,
        },
      });
      setF(empty);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="expense-form-title" noValidate>
      <h2 id="expense-form-title">{t('erp.expenses.new')}</h2>
      <div className="form-grid">
        <label>
          {t('erp.category')}
          <select value={f.category} onChange={(e) => set('category', e.target.value)}>
            {EXPENSE_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`erp.expense.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('erp.project')}
          <select data-testid="expense-project" value={f.project_id} onChange={(e) => set('project_id', e.target.value)} aria-describedby="err-x-project">
            <option value="">{t('erp.choose')}</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <FieldMessage error={error} field="project_id" id="err-x-project" />
        </label>
        <label>
          {t('erp.date')}
          <input type="date" data-testid="expense-date" value={f.expense_date} onChange={(e) => set('expense_date', e.target.value)} aria-describedby="err-x-date" />
          <FieldMessage error={error} field="expense_date" id="err-x-date" />
        </label>
        <label>
          {t('erp.supplier')}
          <input value={f.supplier} onChange={(e) => set('supplier', e.target.value)} aria-describedby="err-x-supplier" />
          <FieldMessage error={error} field="supplier" id="err-x-supplier" />
        </label>
        <label>
          {t('erp.currency')}
          <select value={f.currency} onChange={(e) => set('currency', e.target.value)}>
            <option value="CLP">CLP ($)</option>
            <option value="UF">UF</option>
          </select>
        </label>
        <label>
          {t('erp.net')}
          <input data-testid="expense-amount" inputMode="decimal" value={f.amount} onChange={(e) => set('amount', e.target.value)} aria-describedby="err-x-amount" />
          <FieldMessage error={error} field="amount" id="err-x-amount" />
        </label>
        <label>
          {t('erp.taxRate')}
          <input inputMode="decimal" size={5} value={f.tax_rate} onChange={(e) => set('tax_rate', e.target.value)} aria-describedby="err-x-tax" />
          <FieldMessage error={error} field="tax_rate" id="err-x-tax" />
        </label>
        <label>
          {t('erp.description')}
          <input value={f.description} onChange={(e) => set('description', e.target.value)} aria-describedby="err-x-description" />
          <FieldMessage error={error} field="description" id="err-x-description" />
        </label>
        <label>
          {t('erp.attachment')}
          <input value={f.attachment_ref} onChange={(e) => set('attachment_ref', e.target.value)} aria-describedby="err-x-attachment" />
          <FieldMessage error={error} field="attachment_ref" id="err-x-attachment" />
        </label>
      </div>
      <p className="toolbar">
        <button type="submit" data-testid="expense-save" disabled={busy}>
          {t('erp.save')}
        </button>
        <FieldMessage error={error} field={null} id="err-x-form" besideFields={['project_id', 'expense_date', 'supplier', 'amount', 'tax_rate', 'description', 'attachment_ref']} />
      </p>
    </form>
  );
}
