/**
 * The exact DGA MEE request for one slot: endpoint path, headers and body, every value a string in
 * the format DGA validates.
 */
import { normalizeRut } from '../registry/rut.js';
import { slotStart } from './slots.js';
import { formatLocal } from '../lib/timezone.js';
import type { DgaFieldError, DgaPointConfig, DgaReading, DgaType } from './types.js';
import { isValidCodigoObra } from './validation.js';

export const DGA_ENDPOINTS = {
  SUBTERRANEO: '/mediciones/subterraneas',
  SUPERFICIAL: '/mediciones/superficiales/flujometro',
} as const satisfies Record<DgaType, string>;

export type DgaEndpoint = (typeof DGA_ENDPOINTS)[DgaType];

export function dgaUrl(baseUrl: string, type: DgaType): string {
  return baseUrl.replace(/\/+$/, '') + DGA_ENDPOINTS[type];
}

export const TOTALIZER_MAX_CHARS = 15;

/** Decimal digits of |x| without exponent notation, from the shortest round-trip form. */
function plainDigits(x: number): string {
  const s = String(Math.abs(x));
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = m[1]! + (m[2] ?? '');
  const pointAt = 1 + Number(m[3]);
  if (pointAt <= 0) return `0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return digits + '0'.repeat(pointAt - digits.length);
  return `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

function incrementDigits(digits: string): string {
  const out = digits.split('');
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== '9') {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
    out[i] = '0';
  }
  return `1${out.join('')}`;
}

/**
 * Fixed-point text rounded half away from zero on the number's decimal form, so 1.005 → "1.01"
 * and 0.285 → "0.29" (Number.toFixed works on the binary value and gives "1.00", "0.28").
 * Never returns a negative zero ("-0.00").
 */
export function formatFixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const [intPart = '0', frac = ''] = plainDigits(x).split('.');
  let digits = intPart + frac.padEnd(decimals, '0').slice(0, decimals);
  if ((frac[decimals] ?? '0') >= '5') digits = incrementDigits(digits);
  const intLength = digits.length - decimals;
  const text = decimals > 0 ? `${digits.slice(0, intLength)}.${digits.slice(intLength)}` : digits;
  return x < 0 && /[1-9]/.test(text) ? `-${text}` : text;
}

/** caudal: L/s with 2 decimals; a negative flow is an error, not something to send. */
export function formatCaudal(lps: number): string {
  const text = formatFixed(lps, 2);
  if (text.startsWith('-')) throw new RangeError(`caudal cannot be negative: ${lps}`);
  return text;
}

/** nivelFreaticoDelPozo: m with 2 decimals. */
export function formatWaterTable(m: number): string {
  return formatFixed(m, 2);
}

/**
 * totalizador: whole m³ as the meter shows them (truncated, not rounded), no separators,
 * at most 15 characters. Float noise below a micro-m³ is removed first (1010.9999999 → 1011).
 */
export function formatTotalizer(m3: number): string {
  if (!Number.isFinite(m3)) throw new RangeError(`totalizer is not a finite number: ${m3}`);
  const text = formatFixed(m3, 6);
  if (text.startsWith('-')) throw new RangeError(`totalizer cannot be negative: ${m3}`);
  const whole = text.split('.')[0]!;
  if (whole.length > TOTALIZER_MAX_CHARS) {
    throw new RangeError(`totalizer ${whole} is longer than ${TOTALIZER_MAX_CHARS} characters`);
  }
  return whole;
}

/**
 * timeStampOrigen: the send time as local wall-clock time followed by the literal text `-0000`,
 * (`yyyy-MM-ddTHH:mm:ss-0000`). The suffix is not the real offset:
 * a public client built on DGA's technical manual (Res. Exenta 2.170/2025) sends UTC−4 local
 * time with the same literal `-0000` and notes that this is how the manual documents it.
 */
/** The label DGA files a reading under: fechaMedicion and horaMedicion, the slot's wall-clock time in `tz`. */
export function dgaLabel(slot: Date, tz: string): { fechaMedicion: string; horaMedicion: string } {
  const { date, time } = formatLocal(slot, tz);
  return { fechaMedicion: date, horaMedicion: time };
}

export function formatTimeStampOrigen(sentAt: Date, tz: string): string {
  const { date, time } = formatLocal(sentAt, tz);
  return `${date}T${time}-0000`;
}

export interface DgaAuthentication {
  password: string;
  rutEmpresa: string;
  rutUsuario: string;
}

export interface DgaWellMeasurement {
  caudal: string;
  fechaMedicion: string;
  horaMedicion: string;
  nivelFreaticoDelPozo: string;
  totalizador: string;
}

export type DgaSurfaceMeasurement = Omit<DgaWellMeasurement, 'nivelFreaticoDelPozo'>;

export interface DgaWellBody {
  autenticacion: DgaAuthentication;
  medicionSubterranea: DgaWellMeasurement;
}

export interface DgaSurfaceBody {
  autenticacion: DgaAuthentication;
  medicionSuperficialFlujometro: DgaSurfaceMeasurement;
}

export interface DgaHeaders {
  'Content-Type': 'application/json';
  codigoObra: string;
  timeStampOrigen: string;
}

export interface DgaRequest {
  path: DgaEndpoint;
  headers: DgaHeaders;
  body: DgaWellBody | DgaSurfaceBody;
}

export interface BuildDgaRequestInput {
  config: Pick<
    DgaPointConfig,
    'standard' | 'type' | 'codigoObra' | 'informanteRut' | 'informantePassword' | 'companyRut'
  >;
  /** The slot time (see slots.ts); becomes fechaMedicion / horaMedicion. */
  slot: Date;
  reading: DgaReading;
  /** The moment of sending; becomes timeStampOrigen. */
  sentAt: Date;
  tz: string;
}

export type BuiltDgaRequest = { ok: true; request: DgaRequest } | { ok: false; errors: DgaFieldError[] };

/** Builds the request for one slot, or lists every field that prevents it (field = DGA's name). */
export function buildDgaRequest(input: BuildDgaRequestInput): BuiltDgaRequest {
  const { config, slot, reading, sentAt } = input;
  const tz = input.tz;
  const errors: DgaFieldError[] = [];
  const attempt = (field: string, format: () => string): string => {
    try {
      return format();
    } catch (err) {
      errors.push({ field, message: (err as Error).message });
      return '';
    }
  };

  if (!isValidCodigoObra(config.codigoObra)) {
    errors.push({ field: 'codigoObra', message: `not a código de obra (OB-0602-7): ${config.codigoObra}` });
  }
  const rutUsuario = normalizeRut(config.informanteRut);
  if (!rutUsuario) errors.push({ field: 'rutUsuario', message: 'the informante RUT is not valid' });
  const rutEmpresa = normalizeRut(config.companyRut);
  if (!rutEmpresa) errors.push({ field: 'rutEmpresa', message: 'the company RUT is not valid' });
  if (!config.informantePassword) errors.push({ field: 'password', message: 'the informante password is empty' });

  if (Number.isNaN(slot.getTime())) {
    errors.push({ field: 'fechaMedicion', message: 'the slot time is not a valid date' });
  } else if (slotStart(config.standard, slot, tz).getTime() !== slot.getTime()) {
    errors.push({ field: 'horaMedicion', message: `not a ${config.standard} slot time: ${slot.toISOString()}` });
  }
  const caudal = attempt('caudal', () => formatCaudal(reading.caudalLps));
  const totalizador = attempt('totalizador', () => formatTotalizer(reading.totalizerM3));
  let nivel = '';
  if (config.type === 'SUBTERRANEO') {
    if (reading.waterTableM !== null) {
      nivel = attempt('nivelFreaticoDelPozo', () => formatWaterTable(reading.waterTableM!));
    } else if (config.standard !== 'CAUDALES_MUY_PEQUENOS') {
      errors.push({
        field: 'nivelFreaticoDelPozo',
        message: `a well under standard ${config.standard} must report the water table`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const { fechaMedicion, horaMedicion } = dgaLabel(slot, tz);
  const autenticacion = { password: config.informantePassword, rutEmpresa: rutEmpresa!, rutUsuario: rutUsuario! };
  const headers: DgaHeaders = {
    'Content-Type': 'application/json',
    codigoObra: config.codigoObra,
    timeStampOrigen: formatTimeStampOrigen(sentAt, tz),
  };
  const body: DgaWellBody | DgaSurfaceBody =
    config.type === 'SUBTERRANEO'
      ? {
          autenticacion,
          medicionSubterranea: { caudal, fechaMedicion, horaMedicion, nivelFreaticoDelPozo: nivel, totalizador },
        }
      : { autenticacion, medicionSuperficialFlujometro: { caudal, fechaMedicion, horaMedicion, totalizador } };
  return { ok: true, request: { path: DGA_ENDPOINTS[config.type], headers, body } };
}

/** The body with the password masked, for storing or logging what was sent. */
export function redactDgaBody<T extends { autenticacion: DgaAuthentication }>(body: T): T {
  return { ...body, autenticacion: { ...body.autenticacion, password: '***' } };
}
