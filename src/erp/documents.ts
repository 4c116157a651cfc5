import { ValidationError } from '../errors.js';
import {
  CURRENCY_DECIMALS, DEFAULT_TAX_RATE, amountText, clpEquivalent, documentTotals, formatUnits, normalizeDecimal, parseAmount, type Currency,
} from './money.js';
import type { DocumentValues, ItemRow } from './document.repository.js';

/** What a quote or invoice is made of before the server computes its totals. */
export interface DocumentInput {
  client_id: number;
  project_id: number | null;
  currency: Currency;
  uf_value: string | null;
  tax_rate: string;
  notes: string | null;
  items: { description: string; quantity: string; unit_price: string; discount_percent?: string }[];
}

/** Totals and line totals computed by the money rules; the stored rows of a document. */
export function documentValues(input: DocumentInput): DocumentValues {
  if (input.currency === 'CLP' && input.uf_value !== null) {
    throw new ValidationError('uf_value is only for UF documents (it gives their CLP equivalent)', 'uf_value');
  }
  const t = documentTotals(input.items, input.currency, input.tax_rate);
  return {
    client_id: input.client_id,
    project_id: input.project_id,
    currency: input.currency,
    uf_value: input.uf_value,
    tax_rate: input.tax_rate,
    notes: input.notes,
    subtotal: t.subtotal,
    tax_amount: t.taxAmount,
    total: t.total,
    items: input.items.map((item, i) => ({
      position: i + 1,
      description: item.description,
      quantity: item.quantity,
      unit_price: item.unit_price,
      discount_percent: item.discount_percent ?? '0',
      line_total: t.lineTotals[i]!,
    })),
  };
}

/** The UF value a changed document keeps: the one given, else the stored one while it stays in UF. */
export function ufValueAfter(patch: { currency?: Currency; uf_value?: string | null }, row: { currency: Currency; uf_value: string | null }): string | null {
  if (patch.uf_value !== undefined) return patch.uf_value;
  return (patch.currency ?? row.currency) === 'UF' ? row.uf_value : null;
}

/** A stored document's items as input again (to recompute after a change of currency or rate). */
export function itemsAsInput(items: ItemRow[]): DocumentInput['items'] {
  return items.map((i) => ({ description: i.description, quantity: i.quantity, unit_price: i.unit_price, discount_percent: i.discount_percent }));
}

export const DEFAULT_RATE = DEFAULT_TAX_RATE;

/** Database text → API text: amounts at the currency precision, quantities and rates without trailing zeros. */
export function itemView(i: ItemRow, currency: Currency) {
  return {
    position: i.position,
    description: i.description,
    quantity: normalizeDecimal(i.quantity),
    unit_price: normalizeDecimal(i.unit_price),
    discount_percent: normalizeDecimal(i.discount_percent),
    line_total: amountText(i.line_total, currency),
  };
}

interface StoredDocument {
  currency: Currency;
  uf_value: string | null;
  tax_rate: string;
  subtotal: string;
  tax_amount: string;
  total: string;
}

export function moneyView(d: StoredDocument) {
  const total = amountText(d.total, d.currency);
  return {
    uf_value: d.uf_value === null ? null : normalizeDecimal(d.uf_value),
    tax_rate: normalizeDecimal(d.tax_rate),
    subtotal: amountText(d.subtotal, d.currency),
    tax_amount: amountText(d.tax_amount, d.currency),
    total,
    total_clp: d.currency === 'UF' && d.uf_value !== null ? clpEquivalent(total, d.uf_value) : null,
  };
}

/** total − paid, as text at the currency precision. */
export function balanceOf(total: string, paid: string, currency: Currency): string {
  return formatUnits(parseAmount(total, currency, 'total') - parseAmount(paid, currency, 'paid_amount'), CURRENCY_DECIMALS[currency]);
}

/** The calendar date `days` after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
