/**
 * The DGA MEE request contract as the simulator enforces it: strict, so that a request our
 * reporter builds wrongly fails here the way it would fail at DGA. Messages are in Spanish,
 * like DGA's.
 */
import { isValidRut } from '../registry/rut.js';
import { fromLocal } from '../lib/timezone.js';
import type { DgaType } from './types.js';
import { isValidCodigoObra } from './validation.js';

export const MEASUREMENT_KEY: Readonly<Record<DgaType, string>> = {
  SUBTERRANEO: 'medicionSubterranea',
  SUPERFICIAL: 'medicionSuperficialFlujometro',
};

const MEASUREMENT_FIELDS: Readonly<Record<DgaType, readonly string[]>> = {
  SUBTERRANEO: ['caudal', 'fechaMedicion', 'horaMedicion', 'nivelFreaticoDelPozo', 'totalizador'],
  SUPERFICIAL: ['caudal', 'fechaMedicion', 'horaMedicion', 'totalizador'],
};
const AUTH_FIELDS = ['password', 'rutEmpresa', 'rutUsuario'] as const;

const TIMESTAMP_ORIGEN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})-0000$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})$/;
const CAUDAL = /^\d+\.\d{2}$/;
const TOTALIZADOR = /^\d{1,15}$/;
const NIVEL = /^-?\d+\.\d{2}$/;
const RUT = /^\d{1,9}-[\dK]$/;
/** Readings stamped later than this after the simulator's clock are refused as future data. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface ValidMeasurement {
  codigoObra: string;
  fechaMedicion: string;
  horaMedicion: string;
  nivelFreaticoDelPozo: string | null;
  auth: { password: string; rutEmpresa: string; rutUsuario: string };
}

export type ContractCheck = { ok: true; measurement: ValidMeasurement } | { ok: false; status: number; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const isClockTime = (h: number, mi: number, s: number): boolean => h <= 23 && mi <= 59 && s <= 59;

function checkFields(obj: Record<string, unknown>, expected: readonly string[], where: string, problems: string[]): void {
  for (const key of expected) {
    if (!(key in obj)) problems.push(`falta el campo ${where}.${key}`);
    else if (typeof obj[key] !== 'string') problems.push(`${where}.${key} debe ser texto`);
  }
  for (const key of Object.keys(obj)) {
    if (!expected.includes(key)) problems.push(`campo no permitido ${where}.${key}`);
  }
}

/**
 * Checks headers (lower-case names, as Node delivers them) and the raw body of a POST to the
 * endpoint of `type`. `now` is the simulator's clock, `tz` the DGA time zone.
 */
export function checkMeasurementRequest(input: {
  type: DgaType;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  now: Date;
  tz: string;
}): ContractCheck {
  const tz = input.tz;
  const bad = (message: string, status = 400): ContractCheck => ({ ok: false, status, message });

  const contentType = input.headers['content-type'];
  if (typeof contentType !== 'string' || !/^application\/json\s*(;|$)/i.test(contentType)) {
    return bad('Content-Type debe ser application/json', 415);
  }
  const problems: string[] = [];
  const codigoObra = input.headers['codigoobra'];
  if (typeof codigoObra !== 'string' || codigoObra === '') problems.push('falta el header codigoObra');
  else if (!isValidCodigoObra(codigoObra)) problems.push(`codigoObra con formato inválido: ${codigoObra}`);
  const origen = input.headers['timestamporigen'];
  const o = typeof origen === 'string' ? TIMESTAMP_ORIGEN.exec(origen) : null;
  if (typeof origen !== 'string' || origen === '') problems.push('falta el header timeStampOrigen');
  else if (!o || !isCalendarDate(+o[1]!, +o[2]!, +o[3]!) || !isClockTime(+o[4]!, +o[5]!, +o[6]!)) {
    problems.push(`timeStampOrigen debe tener formato yyyy-MM-ddTHH:mm:ss-0000: ${origen}`);
  }

  let body: unknown;
  try {
    body = JSON.parse(input.rawBody);
  } catch {
    return bad(['el cuerpo no es JSON válido', ...problems].join('; '));
  }
  if (!isObject(body)) return bad(['el cuerpo debe ser un objeto JSON', ...problems].join('; '));

  const measurementKey = MEASUREMENT_KEY[input.type];
  for (const key of Object.keys(body)) {
    if (key !== 'autenticacion' && key !== measurementKey) problems.push(`campo no permitido ${key}`);
  }
  const auth = body['autenticacion'];
  if (!isObject(auth)) problems.push('falta el objeto autenticacion');
  else {
    checkFields(auth, AUTH_FIELDS, 'autenticacion', problems);
    for (const key of ['rutEmpresa', 'rutUsuario'] as const) {
      const v = auth[key];
      if (typeof v === 'string' && (!RUT.test(v) || !isValidRut(v))) {
        problems.push(`autenticacion.${key} no es un RUT válido sin puntos y con guion: ${v}`);
      }
    }
  }
  const m = body[measurementKey];
  let fecha = '';
  let hora = '';
  let nivel: string | null = null;
  if (!isObject(m)) problems.push(`falta el objeto ${measurementKey}`);
  else {
    checkFields(m, MEASUREMENT_FIELDS[input.type], measurementKey, problems);
    const text = (key: string): string | null => (typeof m[key] === 'string' ? (m[key] as string) : null);
    const caudal = text('caudal');
    if (caudal !== null && !CAUDAL.test(caudal)) problems.push(`caudal debe ser numérico con 2 decimales: ${caudal}`);
    const totalizador = text('totalizador');
    if (totalizador !== null && !TOTALIZADOR.test(totalizador)) {
      problems.push(`totalizador debe ser un entero de hasta 15 caracteres: ${totalizador}`);
    }
    if (input.type === 'SUBTERRANEO') {
      nivel = text('nivelFreaticoDelPozo');
      if (nivel !== null && nivel !== '' && !NIVEL.test(nivel)) {
        problems.push(`nivelFreaticoDelPozo debe ser numérico con 2 decimales: ${nivel}`);
      }
    }
    const d = DATE.exec(text('fechaMedicion') ?? '');
    const t = TIME.exec(text('horaMedicion') ?? '');
    if (text('fechaMedicion') !== null && (!d || !isCalendarDate(+d[1]!, +d[2]!, +d[3]!))) {
      problems.push(`fechaMedicion debe tener formato YYYY-MM-DD: ${text('fechaMedicion')}`);
    }
    if (text('horaMedicion') !== null && (!t || !isClockTime(+t[1]!, +t[2]!, +t[3]!))) {
      problems.push(`horaMedicion debe tener formato HH:MM:SS: ${text('horaMedicion')}`);
    }
    if (d && t && problems.length === 0) {
      const at = fromLocal({ year: +d[1]!, month: +d[2]!, day: +d[3]!, hour: +t[1]!, minute: +t[2]!, second: +t[3]! }, tz);
      if (at.getTime() > input.now.getTime() + FUTURE_TOLERANCE_MS) problems.push('la fecha y hora de medición está en el futuro');
    }
    fecha = d?.[0] ?? '';
    hora = t?.[0] ?? '';
  }
  if (problems.length > 0) return bad(problems.join('; '));
  const a = auth as Record<string, string>;
  return {
    ok: true,
    measurement: {
      codigoObra: codigoObra as string,
      fechaMedicion: fecha,
      horaMedicion: hora,
      nivelFreaticoDelPozo: nivel,
      auth: { password: a['password']!, rutEmpresa: a['rutEmpresa']!, rutUsuario: a['rutUsuario']! },
    },
  };
}
