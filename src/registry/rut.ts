/** Chilean RUT: body digits, hyphen, check digit (0-9 or K), mod-11 checksum. */
export function rutCheckDigit(body: string): string {
  let sum = 0;
  let factor = 2;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += Number(body[i]) * factor;
    factor = factor === 7 ? 2 : factor + 1;
  }
  const rest = 11 - (sum % 11);
  return rest === 11 ? '0' : rest === 10 ? 'K' : String(rest);
}

/**
 * Normalises a RUT to the form DGA and the registry use: no dots, hyphen, upper-case K.
 * Returns null when the text is not a RUT or its check digit is wrong.
 */
export function normalizeRut(input: string): string | null {
  const compact = input.trim().replace(/\./g, '').toUpperCase();
  const m = /^(\d{1,9})-?([\dK])$/.exec(compact);
  if (!m) return null;
  const body = m[1]!.replace(/^0+(?=\d)/, '');
  const dv = m[2]!;
  return rutCheckDigit(body) === dv ? `${body}-${dv}` : null;
}

export function isValidRut(input: string): boolean {
  return normalizeRut(input) !== null;
}
