/**
 * Rules of corrections (pure, no I/O): what a valid correction request is, and what a reading's
 * effective value is once corrections apply. The SQL of the reads repeats `effectiveValue` as
 * `CASE WHEN is_invalid THEN NULL ELSE coalesce(corrected_value, value_numeric) END`.
 */
import { DAY_MS } from '../../lib/time.js';

export type CorrectionAction = 'set_value' | 'invalidate' | 'revert';
export const CORRECTION_ACTIONS: readonly CorrectionAction[] = ['set_value', 'invalidate', 'revert'];

export const MAX_REASON_CHARS = 500;
/** A range correction covers at most this span (inclusive bounds). */
export const MAX_CORRECTION_SPAN_MS = 366 * DAY_MS;
/** Corrected values stay within what a double holds comfortably and a DGA payload can carry. */
export const MAX_ABS_VALUE = 1e15;
export const MAX_VARIABLE_CHARS = 100;

/** The request body: one reading (`ts` + `value`, or `ts` + `action: invalidate`) or a range (`from`, `to`). */
export interface CorrectionRequest {
  variable?: unknown;
  ts?: unknown;
  from?: unknown;
  to?: unknown;
  action?: unknown;
  value?: unknown;
  reason?: unknown;
}

/** A validated correction: an inclusive range of one variable's readings and what happens to them. */
export interface CorrectionPlan {
  variable: string;
  from: Date;
  to: Date;
  action: 'set_value' | 'invalidate';
  /** set_value only; null for invalidate. */
  value: number | null;
  reason: string;
}

export type RuleResult<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

const fail = (field: string, message: string): { ok: false; field: string; message: string } => ({ ok: false, field, message });

/** An ISO 8601 date-time with an explicit offset (`Z` or `±hh:mm`): a correction names readings exactly. */
export function parseInstant(value: unknown, field: string): RuleResult<Date> {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    return fail(field, `${field} must be an ISO 8601 date-time with an offset (e.g. 2025-03-10T10:00:00Z), got ${JSON.stringify(value)}`);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return fail(field, `${field} is not a valid date-time: ${value}`);
  return { ok: true, value: d };
}

export function validateReason(reason: unknown, field = 'reason'): RuleResult<string> {
  if (typeof reason !== 'string' || reason.trim() === '') return fail(field, `${field} is required: say why the data is corrected`);
  const trimmed = reason.trim();
  if (trimmed.length > MAX_REASON_CHARS) return fail(field, `${field} may be at most ${MAX_REASON_CHARS} characters, got ${trimmed.length}`);
  return { ok: true, value: trimmed };
}

export function validateValue(value: unknown, field = 'value'): RuleResult<number> {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fail(field, `${field} must be a finite number`);
  if (Math.abs(value) > MAX_ABS_VALUE) return fail(field, `${field} must be within ±${MAX_ABS_VALUE}`);
  return { ok: true, value };
}

/** Checks a correction request and turns it into a plan; the first problem found names its field. */
export function validateCorrection(req: CorrectionRequest): RuleResult<CorrectionPlan> {
  if (typeof req.variable !== 'string' || req.variable.trim() === '') return fail('variable', 'variable is required');
  if (req.variable.length > MAX_VARIABLE_CHARS) return fail('variable', `variable may be at most ${MAX_VARIABLE_CHARS} characters`);
  const variable = req.variable;

  let from: Date;
  let to: Date;
  if (req.ts !== undefined) {
    if (req.from !== undefined || req.to !== undefined) return fail('ts', 'give either ts (one reading) or from and to (a range), not both');
    const ts = parseInstant(req.ts, 'ts');
    if (!ts.ok) return ts;
    from = to = ts.value;
  } else {
    if (req.from === undefined) return fail('from', 'give ts (one reading) or from and to (a range)');
    if (req.to === undefined) return fail('to', 'a range needs to as well as from');
    const f = parseInstant(req.from, 'from');
    if (!f.ok) return f;
    const t = parseInstant(req.to, 'to');
    if (!t.ok) return t;
    if (t.value < f.value) return fail('to', 'to must not be before from');
    if (t.value.getTime() - f.value.getTime() > MAX_CORRECTION_SPAN_MS) return fail('to', 'from to to may span at most 366 days');
    from = f.value;
    to = t.value;
  }

  let action: 'set_value' | 'invalidate';
  if (req.action === undefined) action = 'set_value';
  else if (req.action === 'set_value' || req.action === 'invalidate') action = req.action;
  else return fail('action', `action must be set_value or invalidate (a revert has its own route), got ${JSON.stringify(req.action)}`);

  let value: number | null = null;
  if (action === 'set_value') {
    if (req.value === undefined || req.value === null) return fail('value', 'value is required to set a value (or use action: invalidate)');
    const v = validateValue(req.value);
    if (!v.ok) return v;
    value = v.value;
  } else if (req.value !== undefined && req.value !== null) {
    return fail('value', 'an invalidation takes no value');
  }

  const reason = validateReason(req.reason);
  if (!reason.ok) return reason;
  return { ok: true, value: { variable, from, to, action, value, reason: reason.value } };
}

/** The stored state of one reading's corrections. */
export interface CorrectedReading {
  value_numeric: number | null;
  corrected_value: number | null;
  is_invalid: boolean;
}

/** What every read shows: nothing for an invalid reading, else the corrected value, else the recorded one. */
export function effectiveValue(r: CorrectedReading): number | null {
  if (r.is_invalid) return null;
  return r.corrected_value ?? r.value_numeric;
}

/** A correction as it applies to readings (reverts are not: they only remove the one they name). */
export interface AppliedCorrection {
  id: number;
  from: Date;
  to: Date;
  action: 'set_value' | 'invalidate';
  value: number | null;
}

/**
 * The corrected state of a reading at `ts` from the corrections still in force (not reverted): the
 * newest one covering it wins. No correction: the recorded value stands.
 */
export function correctedState(ts: Date, inForce: readonly AppliedCorrection[]): { corrected_value: number | null; is_invalid: boolean } {
  let winner: AppliedCorrection | null = null;
  for (const c of inForce) {
    if (c.from <= ts && ts <= c.to && (!winner || c.id > winner.id)) winner = c;
  }
  if (!winner) return { corrected_value: null, is_invalid: false };
  return winner.action === 'invalidate' ? { corrected_value: null, is_invalid: true } : { corrected_value: winner.value, is_invalid: false };
}
