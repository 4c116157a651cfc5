/**
 * Coordinates of legacy points, typed by people as free text: decimal point or comma, spaces, signs,
 * degrees-minutes-seconds and hemisphere letters. Every point is in Chile, which fixes the sign of a
 * bare number and tells a swapped pair.
 */

export const CHILE = { lat: { min: -56, max: -17.4 }, lon: { min: -110, max: -66 } } as const;

type Axis = 'lat' | 'lon';

/** One parsed field: the number, whether its sign was written (sign or hemisphere), and how it was written. */
export interface ParsedCoordinate {
  value: number;
  signed: boolean;
  forms: string[];
}

const HEMISPHERE_SIGN: Record<string, number> = { N: 1, S: -1, E: 1, W: -1, O: -1 };
const NUMBER = /^\d+(?:\.\d+)?$/;

/** Parses one field; null when it is empty or not a coordinate. */
export function parseCoordinate(input: unknown): ParsedCoordinate | null {
  if (typeof input === 'number') return Number.isFinite(input) ? { value: input, signed: input < 0, forms: [] } : null;
  if (typeof input !== 'string') return null;
  let text = input.trim().toUpperCase();
  if (text === '') return null;
  const forms: string[] = [];
  let sign = 1;
  let signed = false;
  const hemi = /^([NSEWO])\s*(?=\d)|(?<=[\d'"°º′″\s])\s*([NSEWO])$/.exec(text);
  if (hemi) {
    sign = HEMISPHERE_SIGN[(hemi[1] ?? hemi[2])!]!;
    signed = true;
    forms.push('hemisphere letter');
    text = (text.slice(0, hemi.index) + text.slice(hemi.index + hemi[0].length)).trim();
  }
  const written = /^([-+−])\s*/.exec(text);
  if (written) {
    const s = written[1] === '+' ? 1 : -1;
    if (signed && s !== sign) return null;
    sign = s;
    signed = true;
    text = text.slice(written[0].length);
  }
  if (/^\d+,\d+$/.test(text) || /\d,\d/.test(text)) {
    forms.push('decimal comma');
    text = text.replace(/(\d),(\d)/g, '$1.$2');
  }
  let value: number;
  if (NUMBER.test(text)) {
    value = Number(text);
  } else {
    // Degrees, then optional minutes and seconds, each number followed by its mark or a space.
    const m = /^(\d+(?:\.\d+)?)\s*[°º:\s]\s*(?:(\d+(?:\.\d+)?)\s*(?:['′]|\s|:)?\s*(?:(\d+(?:\.\d+)?)\s*(?:"|″|''|′′)?)?)?$/.exec(text);
    if (!m) return null;
    const minutes = m[2] === undefined ? 0 : Number(m[2]);
    const seconds = m[3] === undefined ? 0 : Number(m[3]);
    if (minutes >= 60 || seconds >= 60) return null;
    value = Number(m[1]) + minutes / 60 + seconds / 3600;
    forms.push('degrees-minutes-seconds');
  }
  return { value: sign * value, signed, forms };
}

function inExtent(v: number, axis: Axis): boolean {
  return v >= CHILE[axis].min && v <= CHILE[axis].max;
}

/** An unsigned number whose negation lies in Chile is negated (nobody wrote the minus). */
function placed(c: ParsedCoordinate, axis: Axis): { value: number; negated: boolean } {
  if (!c.signed && c.value > 0 && inExtent(-c.value, axis)) return { value: -c.value, negated: true };
  return { value: c.value, negated: false };
}

export interface CoordinateCorrection {
  field: 'lat' | 'lon';
  from: unknown;
  to: number | null;
  reason: string;
}

export interface LegacyCoordinates {
  latitude: number | null;
  longitude: number | null;
  corrections: CoordinateCorrection[];
}

const round8 = (v: number) => Math.round(v * 1e8) / 1e8;

function isPlain(input: unknown, value: number): boolean {
  if (typeof input === 'number') return input === value;
  return typeof input === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(input) && Number(input) === value;
}

function isEmpty(input: unknown): boolean {
  return input === null || input === undefined || (typeof input === 'string' && input.trim() === '');
}

/**
 * The point's coordinates from the legacy `lat` and `lon` fields. Anything changed or dropped is a
 * correction with its reason; a pair that cannot be placed in Chile is dropped whole (both or neither).
 */
export function legacyCoordinates(lat: unknown, lon: unknown): LegacyCoordinates {
  const drop = (reason: (field: 'lat' | 'lon') => string): LegacyCoordinates => ({
    latitude: null,
    longitude: null,
    corrections: (['lat', 'lon'] as const)
      .filter((field) => !isEmpty(field === 'lat' ? lat : lon))
      .map((field) => ({ field, from: field === 'lat' ? lat : lon, to: null, reason: reason(field) })),
  });
  if (isEmpty(lat) && isEmpty(lon)) return { latitude: null, longitude: null, corrections: [] };
  const pLat = parseCoordinate(lat);
  const pLon = parseCoordinate(lon);
  if (!pLat || !pLon) {
    return drop((field) => {
      const own = field === 'lat' ? pLat : pLon;
      if (own) return `dropped: ${field === 'lat' ? 'longitude' : 'latitude'} is ${isEmpty(field === 'lat' ? lon : lat) ? 'empty' : 'unparseable'}`;
      return 'unparseable';
    });
  }
  const attempts = [
    { swapped: false, a: placed(pLat, 'lat'), b: placed(pLon, 'lon') },
    { swapped: true, a: placed(pLon, 'lat'), b: placed(pLat, 'lon') },
  ];
  const fit = attempts.find((t) => inExtent(t.a.value, 'lat') && inExtent(t.b.value, 'lon'));
  if (!fit) return drop(() => 'outside Chile');
  const latitude = round8(fit.a.value);
  const longitude = round8(fit.b.value);
  const corrections: CoordinateCorrection[] = [];
  const sources = fit.swapped
    ? { lat: { input: lon, parsed: pLon, neg: fit.a.negated }, lon: { input: lat, parsed: pLat, neg: fit.b.negated } }
    : { lat: { input: lat, parsed: pLat, neg: fit.a.negated }, lon: { input: lon, parsed: pLon, neg: fit.b.negated } };
  for (const field of ['lat', 'lon'] as const) {
    const to = field === 'lat' ? latitude : longitude;
    const own = field === 'lat' ? lat : lon;
    const src = sources[field];
    if (!fit.swapped && isPlain(own, to)) continue;
    const reasons = [...src.parsed.forms];
    if (src.neg) reasons.push('no sign or hemisphere, negated');
    if (fit.swapped) reasons.push('latitude and longitude swapped');
    corrections.push({ field, from: own, to, reason: reasons.join(', ') || 'normalised' });
  }
  return { latitude, longitude, corrections };
}
