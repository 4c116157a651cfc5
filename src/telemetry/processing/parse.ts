/**
 * Turning a provider's raw value into a typed value. Providers send numbers as JSON numbers or as
 * strings (Twin/ThingsBoard: `"value":"812"`), so strings are parsed — strictly: a value that could be
 * read two ways is rejected (and dead-lettered) rather than guessed.
 */

const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** One comma and no dot: a decimal comma as Chilean-locale loggers write it ("12,5"). */
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;

/**
 * A finite number, or null when the value is not one.
 * Accepted: finite numbers; strings with a decimal point ("812", " -3 ", "12.5", "1e3"); strings with
 * a single decimal comma ("12,5" → 12.5). Rejected: empty strings, booleans, null, thousands separators
 * ("1.234,5", "1,234.5"), units ("812 m3"), hex, "NaN", "Infinity", objects.
 * "1,234" is read as 1.234: loggers do not group thousands, Chilean ones do write decimal commas.
 */
export function parseNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string') return null;
  const text = raw.trim();
  if (PLAIN_NUMBER.test(text)) return Number(text);
  if (DECIMAL_COMMA.test(text)) return Number(text.replace(',', '.'));
  return null;
}

const TRUE_WORDS = new Set(['true', '1', 'on', 'yes', 'si', 'sí']);
const FALSE_WORDS = new Set(['false', '0', 'off', 'no']);

/** true/false, 1/0 and the words true|false, on|off, yes|no, si|no (any case); null otherwise. */
export function parseBoolean(raw: unknown): boolean | null {
  if (typeof raw === 'boolean') return raw;
  if (raw === 1 || raw === 0) return raw === 1;
  if (typeof raw !== 'string') return null;
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return null;
}

/** Strings as they are, numbers and booleans as text, objects as JSON; null for null/undefined. */
export function parseText(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  try {
    return JSON.stringify(raw) ?? null;
  } catch {
    return null;
  }
}

/** The raw value as a short, quoted fragment for a dead-letter reason: `"abc"`, `null`, `{"a":1}`. */
export function describeRaw(raw: unknown, maxLength = 60): string {
  let text: string;
  if (raw === undefined) text = 'undefined';
  else if (typeof raw === 'bigint') text = String(raw);
  else {
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = String(raw);
    }
  }
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}
