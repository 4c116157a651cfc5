import { useState } from 'react';
import { allPages, ApiError, download } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useApi } from '../../useApi.js';
import type { Client, Project } from '../../types.js';
import { ServerMessage } from '../registry/forms.js';
import { formatDate, formatMoney } from '../../../../src/erp/format.js';

/** The ERP's shapes as /api/v1 sends them (money and quantities as decimal text). */
export type Currency = 'CLP' | 'UF';
export type QuoteStatus = 'DRAFT' | 'SENT' | 'ACCEPTED' | 'REJECTED' | 'EXPIRED';
export type InvoiceStatus = 'DRAFT' | 'ISSUED' | 'PARTIALLY_PAID' | 'PAID' | 'OVERDUE' | 'CANCELLED';

export interface Item {
  position: number;
  description: string;
  quantity: string;
  unit_price: string;
  discount_percent: string;
  line_total: string;
}
interface DocumentFields {
  id: number;
  number: string;
  client_id: number;
  project_id: number | null;
  currency: Currency;
  uf_value: string | null;
  tax_rate: string;
  issue_date: string;
  notes: string | null;
  items: Item[];
  subtotal: string;
  tax_amount: string;
  total: string;
  total_clp: string | null;
  updated_at: string;
}
export interface Quote extends DocumentFields {
  status: QuoteStatus;
  valid_until: string;
  next_statuses: QuoteStatus[];
}
export interface Payment {
  id: number;
  amount: string;
  paid_at: string;
  method: PaymentMethod;
  reference: string | null;
}
export const PAYMENT_METHODS = ['transfer', 'cash', 'check', 'card', 'other'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export interface Invoice extends DocumentFields {
  quote_id: number | null;
  status: InvoiceStatus;
  due_date: string;
  paid_amount: string;
  balance: string;
  payments: Payment[];
  next_statuses: InvoiceStatus[];
}
export interface Equipment {
  id: number;
  name: string;
  serial_number: string;
  category: 'flowmeter' | 'level_sensor' | 'datalogger' | 'modem' | 'solar_panel' | 'other';
  manufacturer: string | null;
  model: string | null;
  warranty_expires: string | null;
  is_under_warranty: boolean;
  status: 'in_stock' | 'installed' | 'under_repair' | 'retired';
  project_id: number | null;
  point_id: number | null;
}
export interface QuotePreview {
  line_totals: string[];
  subtotal: string;
  tax_amount: string;
  total: string;
  total_clp: string | null;
}

/** `$ 1.190.000`, `12,50 UF`: the server's es-CL formatting of decimal text (never through a float). */
export const money = (amount: string | null | undefined, currency: Currency) => (amount === null || amount === undefined ? '—' : formatMoney(amount, currency));
export const day = (iso: string | null | undefined) => (iso ? formatDate(iso) : '—');
/** Today's date (YYYY-MM-DD) on the server's report clock: the day the server itself calls today. */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
/** A number typed with a decimal comma, as the API wants it: "12,5" → "12.5". */
export function decimalInput(text: string): string {
  const s = text.replace(/\s/g, '');
  return s.includes(',') ? s.replace(/\./g, '').replace(',', '.') : s;
}

/** The field a problem+json names, in one spelling: `items[0].unit_price` and `items.0.unit_price` alike → `items.0.unit_price`. */
export function problemField(err: unknown): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const f = err.problem?.field;
  return typeof f === 'string' && f ? f.replace(/\[(\d+)\]/g, '.$1') : undefined;
}

/** A refusal shown beside the field it names; with no field, the form's summary (announced). */
export function FieldMessage({ error, field, id, exact = false, besideFields = [] }: { error: unknown; field: string | null; id: string; exact?: boolean; besideFields?: string[] }) {
  const named = problemField(error);
  const covers = (f: string) => named === f || (named?.startsWith(`${f}.`) ?? false);
  // The form's summary (field null) repeats nothing already shown beside a field of `besideFields`.
  const mine = error instanceof Error && (field === null ? !besideFields.some(covers) : named === field || (!exact && covers(field)));
  return (
    <span id={id} className="error field-error" role={field === null ? 'alert' : undefined} data-testid={`error-${field ?? 'form'}`}>
      {mine ? error instanceof ApiError ? <ServerMessage text={error.message} /> : (error as Error).message : ''}
    </span>
  );
}

/** Clients and projects by name (a client user sees only its own, as the server answers). */
export function useClientsAndProjects() {
  const clients = useApi((signal) => allPages<Client>('/clients', {}, signal), []);
  const projects = useApi((signal) => allPages<Project>('/projects', {}, signal), []);
  const clientName = (id: number | null) => clients.data?.find((c) => c.id === id)?.name ?? (id === null ? '—' : `#${id}`);
  const projectName = (id: number | null) => projects.data?.find((p) => p.id === id)?.name ?? (id === null ? '—' : `#${id}`);
  return { clients: clients.data ?? [], projects: projects.data ?? [], clientName, projectName };
}

/** Downloads a quote's or invoice's PDF (the bearer token travels in a header, so it is a button, not a link). */
export function PdfButton({ path, name, testId }: { path: string; name: string; testId: string }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="secondary"
        data-testid={testId}
        onClick={() => {
          setError(null);
          download(path, {}, `${name}.pdf`, 'application/pdf').catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
        }}
      >
        {t('erp.pdf')}
      </button>
      {error && <span className="error" role="alert">{t('app.error', { detail: error })}</span>}
    </>
  );
}

export function StatusTag({ status }: { status: QuoteStatus | InvoiceStatus }) {
  const { t } = useI18n();
  return <span className={`tag tag-${status.toLowerCase()}`} data-testid="doc-status" data-status={status}>{t(`erp.status.${status}` as 'erp.status.DRAFT')}</span>;
}

/** Previous / next over a `{items, total}` list. */
export function Pager({ offset, total, page, onChange }: { offset: number; total: number; page: number; onChange(offset: number): void }) {
  const { t } = useI18n();
  if (total <= page) return null;
  return (
    <p className="toolbar">
      <button type="button" className="secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - page))}>
        {t('erp.previous')}
      </button>
      <span>{t('erp.range', { from: offset + 1, to: Math.min(total, offset + page), total })}</span>
      <button type="button" className="secondary" disabled={offset + page >= total} onClick={() => onChange(offset + page)}>
        {t('erp.next')}
      </button>
    </p>
  );
}
