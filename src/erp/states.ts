import { ConflictError } from '../errors.js';

/**
 * The life cycles of quotes and invoices as tables: state → the states it may move to. Time-bound moves
 * (a sent quote EXPIRED after valid_until, an open invoice OVERDUE after its due date) are allowed only
 * once the date has passed; they are applied lazily, on every read of quotes and invoices, and may also be
 * asked for through the status call. Payment-bound moves (PARTIALLY_PAID, PAID) happen only by recording
 * payments.
 */
export const QUOTE_STATUSES = ['DRAFT', 'SENT', 'ACCEPTED', 'REJECTED', 'EXPIRED'] as const;
export type QuoteStatus = (typeof QUOTE_STATUSES)[number];

export const QUOTE_TRANSITIONS: Record<QuoteStatus, readonly QuoteStatus[]> = {
  DRAFT: ['SENT'],
  SENT: ['ACCEPTED', 'REJECTED', 'EXPIRED'],
  ACCEPTED: [],
  REJECTED: [],
  EXPIRED: [],
};

export const INVOICE_STATUSES = ['DRAFT', 'ISSUED', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'CANCELLED'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const INVOICE_TRANSITIONS: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  DRAFT: ['ISSUED', 'CANCELLED'],
  ISSUED: ['PARTIALLY_PAID', 'PAID', 'OVERDUE', 'CANCELLED'],
  PARTIALLY_PAID: ['PAID', 'OVERDUE'],
  OVERDUE: ['PAID'],
  PAID: [],
  CANCELLED: [],
};

/** Reached only by recording payments, never through the status call. */
export const PAYMENT_STATUSES: readonly InvoiceStatus[] = ['PARTIALLY_PAID', 'PAID'];
/** An invoice in these states takes payments. */
export const PAYABLE_STATUSES: readonly InvoiceStatus[] = ['ISSUED', 'PARTIALLY_PAID', 'OVERDUE'];

/** `today` and the dates are ISO calendar dates (YYYY-MM-DD), which compare as text. */
export function quoteIsExpired(q: { status: string; valid_until: string }, today: string): boolean {
  return q.status === 'SENT' && q.valid_until < today;
}

export function invoiceIsOverdue(i: { status: string; due_date: string }, today: string): boolean {
  return (i.status === 'ISSUED' || i.status === 'PARTIALLY_PAID') && i.due_date < today;
}

function refuse(kind: string, from: string, to: string, allowed: readonly string[], why?: string): never {
  const next = allowed.length ? allowed.join(', ') : 'none (final state)';
  throw new ConflictError(
    `${kind.toUpperCase()}_TRANSITION_REFUSED`,
    `a ${from} ${kind} cannot become ${to}${why ? ` (${why})` : ''}; allowed next states: ${next}`,
    { from, to, allowed_next: [...allowed] },
  );
}

/** Throws a 409 naming the allowed next states unless the status call may move the quote to `to`. */
export function checkQuoteTransition(q: { status: QuoteStatus; valid_until: string }, to: QuoteStatus, today: string): void {
  const allowed = nextQuoteStatuses(q, today);
  if (allowed.includes(to)) return;
  const why =
    to === 'EXPIRED' && q.status === 'SENT' ? `it is valid until ${q.valid_until}` :
    to === 'ACCEPTED' && q.status === 'SENT' ? `it expired after ${q.valid_until}` : undefined;
  refuse('quote', q.status, to, allowed, why);
}

/** What the status call may do next with this quote today. */
export function nextQuoteStatuses(q: { status: QuoteStatus; valid_until: string }, today: string): QuoteStatus[] {
  const expired = q.valid_until < today;
  return QUOTE_TRANSITIONS[q.status].filter((s) => (s === 'EXPIRED' ? expired : !(q.status === 'SENT' && expired && s === 'ACCEPTED')));
}

/** What the status call may do next with this invoice today (payment-bound states excluded). */
export function nextInvoiceStatuses(i: { status: InvoiceStatus; due_date: string }, today: string): InvoiceStatus[] {
  return INVOICE_TRANSITIONS[i.status].filter((s) => !PAYMENT_STATUSES.includes(s) && (s !== 'OVERDUE' || i.due_date < today));
}

export function checkInvoiceTransition(i: { status: InvoiceStatus; due_date: string }, to: InvoiceStatus, today: string): void {
  const allowed = nextInvoiceStatuses(i, today);
  if (allowed.includes(to)) return;
  const why =
    PAYMENT_STATUSES.includes(to) ? 'record payments to move an invoice to PARTIALLY_PAID or PAID' :
    to === 'OVERDUE' && INVOICE_TRANSITIONS[i.status].includes('OVERDUE') ? `it is due on ${i.due_date}` : undefined;
  refuse('invoice', i.status, to, allowed, why);
}

/** The state a payment leaves an invoice in: PAID when nothing is owed, else PARTIALLY_PAID (OVERDUE stays OVERDUE). */
export function statusAfterPayment(status: InvoiceStatus, balanceAfter: bigint): InvoiceStatus {
  if (balanceAfter === 0n) return 'PAID';
  return status === 'OVERDUE' ? 'OVERDUE' : 'PARTIALLY_PAID';
}
