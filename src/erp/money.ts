import { ValidationError } from '../errors.js';

/**
 * Exact money: every amount is a bigint of minor units (pesos for CLP, hundredths for UF) and every input
 * a decimal string parsed into (units, scale). Products are formed exactly and rounded once, half up, at
 * the currency's precision. No binary float ever holds an amount, so values beyond 2^53 stay exact.
 */
export const CURRENCIES = ['CLP', 'UF'] as const;
export type Currency = (typeof CURRENCIES)[number];
export const CURRENCY_DECIMALS: Record<Currency, number> = { CLP: 0, UF: 2 };

/** Amounts must stay below 10^17 currency units: the numeric(19,2) columns' capacity. */
export const AMOUNT_LIMIT_DIGITS = 17;
/** Quantities, unit prices, discounts and rates carry at most this many decimals (numeric(…,6) columns). */
export const MAX_INPUT_DECIMALS = 6;
export const DEFAULT_TAX_RATE = '19';

/** A non-negative decimal: value = units / 10^scale. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^(\d{1,30})(?:\.(\d{1,30}))?$/;

/** Undefined for anything but plain non-negative decimal text ("12", "12.50", no sign, exponent or blanks). */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return undefined;
  const frac = m[2] ?? '';
  return { units: BigInt(m[1]! + frac), scale: frac.length };
}

const pow10 = (n: number) => 10n ** BigInt(n);

/** numerator / 10^fromScale rounded half up to `toScale` decimals, as units of that scale (numerator ≥ 0). */
export function roundHalfUp(numerator: bigint, fromScale: number, toScale: number): bigint {
  if (fromScale <= toScale) return numerator * pow10(toScale - fromScale);
  const divisor = pow10(fromScale - toScale);
  return (numerator * 2n + divisor) / (2n * divisor);
}

/** Minor units as decimal text with exactly `decimals` decimals: 1250n, 2 → "12.50". */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

/** Decimal text of an amount in `currency` → minor units; refuses more decimals than the currency has. */
export function parseAmount(text: string, currency: Currency, field: string): bigint {
  const d = parseDecimal(text);
  const decimals = CURRENCY_DECIMALS[currency];
  if (!d) throw new ValidationError(`${field} must be a non-negative decimal number written as text, e.g. "1190000" or "12.50"`, field);
  if (d.scale > decimals) {
    // Trailing zeros beyond the precision are harmless ("100.00" CLP); other digits would be lost.
    const excess = pow10(d.scale - decimals);
    if (d.units % excess !== 0n) throw new ValidationError(`${field} has more than ${decimals} decimals, the precision of ${currency}`, field);
    return checkAmount(d.units / excess, currency, field);
  }
  return checkAmount(d.units * pow10(decimals - d.scale), currency, field);
}

/** Stored numeric text (a column or a sum, any size) → minor units of `currency`, rounded half up. */
export function unitsOf(text: string, currency: Currency): bigint {
  const d = parseDecimal(text);
  if (!d) throw new Error(`not a stored amount: ${text}`);
  return roundHalfUp(d.units, d.scale, CURRENCY_DECIMALS[currency]);
}

/** Refuses amounts at or beyond 10^17 currency units. */
export function checkAmount(units: bigint, currency: Currency, field: string): bigint {
  if (units >= pow10(AMOUNT_LIMIT_DIGITS + CURRENCY_DECIMALS[currency])) {
    throw new ValidationError(`${field} is too large: amounts must stay below 10^${AMOUNT_LIMIT_DIGITS} ${currency}`, field);
  }
  return units;
}

function input(text: string | undefined, field: string, fallback: string, max?: bigint): Decimal {
  const d = parseDecimal(text ?? fallback);
  if (!d) throw new ValidationError(`${field} must be a non-negative decimal number written as text, e.g. "2" or "12.5"`, field);
  if (d.scale > MAX_INPUT_DECIMALS) throw new ValidationError(`${field} has more than ${MAX_INPUT_DECIMALS} decimals`, field);
  if (max !== undefined && d.units > max * pow10(d.scale)) throw new ValidationError(`${field} must be at most ${max}`, field);
  return d;
}

export interface LineInput {
  quantity: string;
  unit_price: string;
  discount_percent?: string;
}

export interface Totals {
  /** Per line, decimal text at the currency's precision. */
  lineTotals: string[];
  subtotal: string;
  taxAmount: string;
  total: string;
  /** The same in minor units, for sums and comparisons. */
  totalUnits: bigint;
}

/** round_half_up(quantity × unit price × (1 − discount / 100)) in minor units of `currency`. */
export function lineTotal(line: LineInput, currency: Currency, field: string): bigint {
  const q = input(line.quantity, `${field}.quantity`, '0');
  const p = input(line.unit_price, `${field}.unit_price`, '0');
  const d = input(line.discount_percent, `${field}.discount_percent`, '0', 100n);
  const keep = 100n * pow10(d.scale) - d.units; // (100 − discount) at scale d.scale
  const units = roundHalfUp(q.units * p.units * keep, q.scale + p.scale + d.scale + 2, CURRENCY_DECIMALS[currency]);
  return checkAmount(units, currency, `${field}.unit_price`);
}

/** round_half_up(amount × rate / 100), amount in minor units. */
export function taxOf(amountUnits: bigint, taxRate: string, currency: Currency, field = 'tax_rate'): bigint {
  const r = input(taxRate, field, DEFAULT_TAX_RATE, 100n);
  const decimals = CURRENCY_DECIMALS[currency];
  return roundHalfUp(amountUnits * r.units, decimals + r.scale + 2, decimals);
}

/** Line totals, subtotal = Σ lines, IVA = round_half_up(subtotal × rate / 100), total = subtotal + IVA. */
export function documentTotals(items: LineInput[], currency: Currency, taxRate: string = DEFAULT_TAX_RATE): Totals {
  const decimals = CURRENCY_DECIMALS[currency];
  const lines = items.map((item, i) => lineTotal(item, currency, `items[${i}]`));
  const subtotal = checkAmount(lines.reduce((a, b) => a + b, 0n), currency, 'items');
  const tax = taxOf(subtotal, taxRate, currency);
  const total = checkAmount(subtotal + tax, currency, 'items');
  return {
    lineTotals: lines.map((l) => formatUnits(l, decimals)),
    subtotal: formatUnits(subtotal, decimals),
    taxAmount: formatUnits(tax, decimals),
    total: formatUnits(total, decimals),
    totalUnits: total,
  };
}

/** A UF amount's value in pesos at `ufValue` CLP per UF, rounded half up to whole pesos. */
export function clpEquivalent(ufAmount: string, ufValue: string): string {
  const a = input(ufAmount, 'amount', '0');
  const v = input(ufValue, 'uf_value', '0');
  return formatUnits(roundHalfUp(a.units * v.units, a.scale + v.scale, 0), 0);
}

/** A decimal rate or percentage in its shortest form: "19.000000" → "19", "12.500000" → "12.5". */
export function normalizeDecimal(text: string): string {
  const d = parseDecimal(text);
  if (!d || d.scale === 0) return text;
  return formatUnits(d.units, d.scale).replace(/\.?0+$/, '');
}

/** Amount text from the database (numeric) at the currency's precision: "1190000.00" CLP → "1190000". */
export function amountText(value: string, currency: Currency): string {
  const d = parseDecimal(value);
  if (!d) return value;
  return formatUnits(roundHalfUp(d.units, d.scale, CURRENCY_DECIMALS[currency]), CURRENCY_DECIMALS[currency]);
}

/** Fields a client must not send: the server computes them. Returns the first one found, as the client spelled it. */
export function computedFieldIn(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  for (const f of ['subtotal', 'tax_amount', 'total', 'paid_amount', 'balance', 'number', 'status']) {
    if (f in b) return f;
  }
  if (Array.isArray(b.items)) {
    for (let i = 0; i < b.items.length; i++) {
      const item = b.items[i] as Record<string, unknown> | null;
      if (item && typeof item === 'object' && 'line_total' in item) return `items[${i}].line_total`;
    }
  }
  return undefined;
}
