/** Document series: quotes (cotizaciones), invoices (facturas), expenses (gastos). */
export type Series = 'COT' | 'FAC' | 'GAS';

/** COT-2026-0001: series, year, the number padded to 4 digits (more digits past 9999). */
export function documentNumber(series: Series, year: number, n: number): string {
  return `${series}-${year}-${String(n).padStart(4, '0')}`;
}
