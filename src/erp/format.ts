import type { Currency } from './money.js';

/**
 * es-CL formatting of decimal text, done on the text itself (never through a float): thousands
 * separated by dots, decimals after a comma, pesos as `$ 1.190.000`, UF as `12,50 UF`, dates dd-mm-yyyy.
 */
export function formatDecimal(text: string): string {
  const negative = text.startsWith('-');
  const [int = '0', frac] = (negative ? text.slice(1) : text).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${negative ? '-' : ''}${grouped}${frac ? `,${frac}` : ''}`;
}

export function formatMoney(amount: string, currency: Currency): string {
  if (currency === 'UF') return `${formatDecimal(amount)} UF`;
  const negative = amount.startsWith('-');
  return `${negative ? '-' : ''}$ ${formatDecimal(negative ? amount.slice(1) : amount)}`;
}

/** 2026-12-03 → 03-12-2026. */
export function formatDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return `${d}-${m}-${y}`;
}

/** A percentage: "19" → "19 %", "12.5" → "12,5 %". */
export function formatPercent(text: string): string {
  return `${formatDecimal(text)} %`;
}
