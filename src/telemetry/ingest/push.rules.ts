/**
 * The shape of pushed readings (HTTP body and MQTT payload alike): `{"readings":[{variable, ts, value}, …]}`
 * or one `{variable, ts, value}`. Pure: no I/O; the point's variables are checked by the caller.
 */

export const MAX_PUSH_READINGS = 10_000;
export const MAX_VARIABLE_LENGTH = 64;
/** Keeps 2,000 readings (one bus message) well under Kafka's 1 MB message limit. */
export const MAX_TEXT_VALUE_LENGTH = 256;
/** Room for 10,000 readings with text values at their maximum, plus whitespace. */
export const PUSH_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export type PushValue = number | string | boolean;

/** A reading that passed the shape check; `ts` is normalised to UTC ISO 8601. */
export interface PushReading {
  variable: string;
  ts: string;
  value: PushValue;
}

/** `field` as the client spelled it: `readings[3].ts`, or `ts` for a single reading. */
export interface PushIssue {
  index: number | null;
  field: string;
  message: string;
}

export interface ParsedPush {
  /** The readings that passed, with their position in the input. */
  readings: { index: number; reading: PushReading }[];
  issues: PushIssue[];
  /** True when the body was a single reading rather than `{readings: [...]}`. */
  single: boolean;
}

// Date and time with seconds optional, fractions up to nanoseconds, and a mandatory offset (Z or ±hh:mm / ±hhmm).
const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))$/;

/** Parses an ISO 8601 timestamp that carries its offset; null when it is not one or names no real instant. */
export function parseTimestampWithOffset(text: string): Date | null {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, oh, om] = m;
  if (+mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h! > 23 || +mi! > 59 || +(s ?? 0) > 59) return null;
  if (oh !== undefined && (+oh > 23 || +om! > 59)) return null;
  const date = new Date(text.replace(/^(.{10}) /, '$1T').replace(',', '.').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(date.getTime())) return null;
  // Date rolls 2026-02-31 over into March: the day must survive in the timestamp's own offset.
  const offsetMin = oh === undefined ? 0 : (text.at(-6) === '-' || text.at(-5) === '-' ? -1 : 1) * (+oh * 60 + +om!);
  const local = new Date(date.getTime() + offsetMin * 60_000);
  if (local.getUTCDate() !== +d! || local.getUTCMonth() + 1 !== +mo! || local.getUTCFullYear() !== +y!) return null;
  return date;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** Text the database stores as given: no NUL characters, no lone UTF-16 surrogates. */
function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text';
  return null;
}

/** Any text made storable (for dead-letter reasons and payloads): NULs and lone surrogates become U+FFFD. */
export function storableText(text: string): string {
  return text.replace(/\u0000/g, '\ufffd').replace(LONE_SURROGATES, '\ufffd');
}

function checkValue(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'must be a finite number';
  if (typeof value === 'boolean') return null;
  if (typeof value === 'string') {
    if (value.length === 0) return 'must not be empty';
    if (value.length > MAX_TEXT_VALUE_LENGTH) return `must be at most ${MAX_TEXT_VALUE_LENGTH} characters`;
    return textProblem(value);
  }
  return value === null || value === undefined ? 'is required' : 'must be a number, a numeric string, a boolean or text';
}

function parseReading(raw: unknown, index: number | null, issues: PushIssue[]): PushReading | null {
  const at = index === null ? '' : `readings[${index}].`;
  const issue = (field: string, message: string) => {
    issues.push({ index, field: `${at}${field}`, message: `${at}${field} ${message}` });
    return null;
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push({ index, field: index === null ? 'body' : `readings[${index}]`, message: `${index === null ? 'body' : `readings[${index}]`} must be an object {variable, ts, value}` });
    return null;
  }
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).find((k) => k !== 'variable' && k !== 'ts' && k !== 'value');
  if (extra !== undefined) return issue(extra.slice(0, 64), 'is not a known field');
  const { variable, ts, value } = r;
  if (typeof variable !== 'string' || variable.length === 0) return issue('variable', 'must be a non-empty string');
  if (variable.length > MAX_VARIABLE_LENGTH) return issue('variable', `must be at most ${MAX_VARIABLE_LENGTH} characters`);
  const variableProblem = textProblem(variable);
  if (variableProblem) return issue('variable', variableProblem);
  if (typeof ts !== 'string') return issue('ts', 'must be an ISO 8601 timestamp with offset, e.g. 2026-12-01T10:00:00Z');
  const date = ts.length <= 40 ? parseTimestampWithOffset(ts) : null;
  if (!date) return issue('ts', `must be an ISO 8601 timestamp with offset, e.g. 2026-12-01T10:00:00-03:00 (got "${ts.slice(0, 40)}")`);
  const valueProblem = checkValue(value);
  if (valueProblem) return issue('value', valueProblem);
  return { variable, ts: date.toISOString(), value: value as PushValue };
}

/**
 * Checks a pushed body: every reading is looked at and each problem reported with its position,
 * so a caller can reject the whole body (HTTP) or keep the good readings (MQTT).
 */
export function parsePushBody(body: unknown): ParsedPush {
  const issues: PushIssue[] = [];
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'readings' in body) {
    const extra = Object.keys(body).find((k) => k !== 'readings');
    if (extra !== undefined) issues.push({ index: null, field: extra.slice(0, 64), message: `${extra.slice(0, 64)} is not a known field` });
    const list = (body as { readings: unknown }).readings;
    if (!Array.isArray(list)) return { readings: [], issues: [...issues, { index: null, field: 'readings', message: 'readings must be a list' }], single: false };
    if (list.length === 0 || list.length > MAX_PUSH_READINGS) {
      return { readings: [], issues: [...issues, { index: null, field: 'readings', message: `readings must hold 1 to ${MAX_PUSH_READINGS} readings (got ${list.length})` }], single: false };
    }
    const readings: ParsedPush['readings'] = [];
    for (let i = 0; i < list.length; i++) {
      const reading = parseReading(list[i], i, issues);
      if (reading) readings.push({ index: i, reading });
    }
    return { readings, issues, single: false };
  }
  const reading = parseReading(body, null, issues);
  return { readings: reading ? [{ index: 0, reading }] : [], issues, single: true };
}

/** Readings whose variable the point does not have, as issues naming the variable and the known ones. */
export function unknownVariables(parsed: ParsedPush, pointId: number, variables: ReadonlySet<string>): PushIssue[] {
  const known = [...variables].sort().join(', ') || 'none';
  return parsed.readings
    .filter(({ reading }) => !variables.has(reading.variable))
    .map(({ index, reading }) => {
      const field = parsed.single ? 'variable' : `readings[${index}].variable`;
      return { index, field, message: `${field}: point ${pointId} has no variable "${reading.variable}" (its variables: ${known})` };
    });
}
