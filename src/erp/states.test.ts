import { describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import {
  checkInvoiceTransition, checkQuoteTransition, INVOICE_STATUSES, invoiceIsOverdue, QUOTE_STATUSES, quoteIsExpired, statusAfterPayment,
  type InvoiceStatus, type QuoteStatus,
} from './states.js';

const TODAY = '2026-06-15';
const FUTURE = '2026-07-01';
const PAST = '2026-06-14';

/** [from, to, date (valid_until / due_date)] pairs the status call allows; every other pair is refused. */
const QUOTE_ALLOWED: [QuoteStatus, QuoteStatus, string][] = [
  ['DRAFT', 'SENT', FUTURE],
  ['DRAFT', 'SENT', PAST],
  ['SENT', 'ACCEPTED', FUTURE],
  ['SENT', 'ACCEPTED', TODAY], // valid through its last day
  ['SENT', 'REJECTED', FUTURE],
  ['SENT', 'REJECTED', PAST],
  ['SENT', 'EXPIRED', PAST],
];
const INVOICE_ALLOWED: [InvoiceStatus, InvoiceStatus, string][] = [
  ['DRAFT', 'ISSUED', FUTURE],
  ['DRAFT', 'ISSUED', PAST],
  ['DRAFT', 'CANCELLED', FUTURE],
  ['DRAFT', 'CANCELLED', PAST],
  ['ISSUED', 'CANCELLED', FUTURE],
  ['ISSUED', 'CANCELLED', PAST],
  ['ISSUED', 'OVERDUE', PAST],
  ['PARTIALLY_PAID', 'OVERDUE', PAST],
];

function allPairs<S extends string>(statuses: readonly S[]): [S, S, string][] {
  return statuses.flatMap((from) => statuses.flatMap((to) => [FUTURE, PAST].map((d) => [from, to, d] as [S, S, string])));
}
const key = (p: [string, string, string]) => p.join(' ');

describe('quote transitions', () => {
  const allowed = new Set(QUOTE_ALLOWED.map(key));
  it.each(allPairs(QUOTE_STATUSES).map((p) => [...p, allowed.has(key(p))] as const))('%s → %s (date %s): allowed %s', (from, to, date, ok) => {
    const run = () => checkQuoteTransition({ status: from, valid_until: date }, to, TODAY);
    if (ok) expect(run).not.toThrow();
    else expect(run).toThrow(ConflictError);
  });

  it('names the allowed next states', () => {
    expect(() => checkQuoteTransition({ status: 'DRAFT', valid_until: FUTURE }, 'ACCEPTED', TODAY)).toThrow(/allowed next states: SENT/);
    expect(() => checkQuoteTransition({ status: 'SENT', valid_until: FUTURE }, 'EXPIRED', TODAY)).toThrow(
      /valid until 2026-07-01\); allowed next states: ACCEPTED, REJECTED/,
    );
    expect(() => checkQuoteTransition({ status: 'ACCEPTED', valid_until: FUTURE }, 'SENT', TODAY)).toThrow(/none \(final state\)/);
    expect(() => checkQuoteTransition({ status: 'SENT', valid_until: PAST }, 'ACCEPTED', TODAY)).toThrow(/REJECTED, EXPIRED/);
  });

  it.each([
    ['SENT', PAST, true],
    ['SENT', TODAY, false],
    ['DRAFT', PAST, false],
    ['ACCEPTED', PAST, false],
  ] as const)('a %s quote valid until %s is expired today: %s', (status, validUntil, want) => {
    expect(quoteIsExpired({ status, valid_until: validUntil }, TODAY)).toBe(want);
  });
});

describe('invoice transitions through the status call', () => {
  const allowed = new Set(INVOICE_ALLOWED.map(key));
  it.each(allPairs(INVOICE_STATUSES).map((p) => [...p, allowed.has(key(p))] as const))('%s → %s (due %s): allowed %s', (from, to, date, ok) => {
    const run = () => checkInvoiceTransition({ status: from, due_date: date }, to, TODAY);
    if (ok) expect(run).not.toThrow();
    else expect(run).toThrow(ConflictError);
  });

  it('sends payment-bound states to payments', () => {
    expect(() => checkInvoiceTransition({ status: 'ISSUED', due_date: FUTURE }, 'PAID', TODAY)).toThrow(/record payments.*allowed next states: CANCELLED/);
  });

  it.each([
    ['ISSUED', PAST, true],
    ['PARTIALLY_PAID', PAST, true],
    ['ISSUED', TODAY, false],
    ['DRAFT', PAST, false],
    ['PAID', PAST, false],
  ] as const)('a %s invoice due %s is overdue today: %s', (status, due, want) => {
    expect(invoiceIsOverdue({ status, due_date: due }, TODAY)).toBe(want);
  });

  it.each([
    ['ISSUED', 0n, 'PAID'],
    ['ISSUED', 1n, 'PARTIALLY_PAID'],
    ['PARTIALLY_PAID', 0n, 'PAID'],
    ['OVERDUE', 5n, 'OVERDUE'],
    ['OVERDUE', 0n, 'PAID'],
  ] as const)('a payment on a %s invoice leaving %s owed → %s', (status, balance, want) => {
    expect(statusAfterPayment(status, balance)).toBe(want);
  });
});
