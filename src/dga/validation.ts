import { normalizeRut } from '../registry/rut.js';
import { DGA_STANDARDS, DGA_TYPES, normalizeDgaStandard, type DgaFieldError, type DgaPointConfig } from './types.js';

/** `OB-0602-7`: OB = obra (work), OR = obra de restitución; region+province, then a sequence number. */
export const CODIGO_OBRA_PATTERN = /^O[BR]-\d{4}-\d+$/;

export function isValidCodigoObra(value: string): boolean {
  return CODIGO_OBRA_PATTERN.test(value);
}

/** Fields of a DGA config as they may arrive from a form or an import: anything may be missing or wrong. */
export type DgaConfigInput = { [K in keyof DgaPointConfig]?: unknown };

const isBlank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * Every problem with a DGA config, by field (the `DgaPointConfig` property names).
 * When sending is enabled everything DGA needs must be present; when it is off, present
 * values must still be well-formed, so a half-filled form can be saved but not a wrong one.
 */
export function validateDgaConfig(input: DgaConfigInput): DgaFieldError[] {
  const errors: DgaFieldError[] = [];
  const add = (field: keyof DgaPointConfig, message: string): void => {
    errors.push({ field, message });
  };
  const sending = input.sendEnabled === true;
  if (input.sendEnabled !== undefined && typeof input.sendEnabled !== 'boolean') {
    add('sendEnabled', 'must be true or false');
  }
  const required = (field: keyof DgaPointConfig, what: string): boolean => {
    if (!isBlank(input[field])) return true;
    if (sending) add(field, `${what} is required to send readings to DGA`);
    return false;
  };

  if (required('standard', 'the DGA standard') && !DGA_STANDARDS.includes(normalizeDgaStandard(input.standard) as never)) {
    add('standard', `must be one of ${DGA_STANDARDS.join(', ')} (legacy SIN_ESTANDAR reports as MAYOR)`);
  }
  if (required('type', 'the work type') && !DGA_TYPES.includes(input.type as never)) {
    add('type', `must be one of ${DGA_TYPES.join(', ')}`);
  }
  if (required('codigoObra', 'the código de obra')) {
    const v = input.codigoObra;
    if (typeof v !== 'string' || !isValidCodigoObra(v.trim())) {
      add('codigoObra', 'must look like OB-0602-7 (OB or OR, 4 digits, a number)');
    }
  }
  for (const [field, who] of [
    ['informanteRut', 'the informante RUT'],
    ['companyRut', 'the company RUT'],
  ] as const) {
    if (required(field, who)) {
      const v = input[field];
      if (typeof v !== 'string' || normalizeRut(v) === null) {
        add(field, 'is not a valid RUT (e.g. 12345678-5; check digit mod 11)');
      }
    }
  }
  if (required('informantePassword', 'the informante password') && typeof input.informantePassword !== 'string') {
    add('informantePassword', 'must be text');
  }
  if (required('startDate', 'the start date')) {
    const v = input.startDate;
    if (!(v instanceof Date) || Number.isNaN(v.getTime())) add('startDate', 'must be a valid date');
  }
  for (const field of ['grantedFlowLps', 'annualVolumeM3'] as const) {
    const v = input[field];
    if (isBlank(v)) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) add(field, 'must be a positive number');
  }
  if (!isBlank(input.shac) && typeof input.shac !== 'string') add('shac', 'must be text');
  return errors;
}

export type ParsedDgaConfig = { ok: true; config: DgaPointConfig } | { ok: false; errors: DgaFieldError[] };

/** Validates a config meant for sending and returns it normalised (RUTs without dots, trimmed code). */
export function parseDgaConfig(input: DgaConfigInput): ParsedDgaConfig {
  const errors = validateDgaConfig({ ...input, sendEnabled: true });
  if (errors.length > 0) return { ok: false, errors };
  const optionalNumber = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return {
    ok: true,
    config: {
      sendEnabled: input.sendEnabled === true,
      standard: normalizeDgaStandard(input.standard) as DgaPointConfig['standard'],
      type: input.type as DgaPointConfig['type'],
      codigoObra: (input.codigoObra as string).trim(),
      informanteRut: normalizeRut(input.informanteRut as string)!,
      informantePassword: input.informantePassword as string,
      companyRut: normalizeRut(input.companyRut as string)!,
      startDate: input.startDate as Date,
      grantedFlowLps: optionalNumber(input.grantedFlowLps),
      annualVolumeM3: optionalNumber(input.annualVolumeM3),
      shac: typeof input.shac === 'string' && input.shac.trim() !== '' ? input.shac.trim() : null,
    },
  };
}

/** A point's DGA columns, as the point API and the catchment_points table spell them. */
export interface PointDgaColumns {
  dga_send?: boolean | null;
  dga_standard?: string | null;
  dga_type?: string | null;
  dga_code?: string | null;
  dga_informant_rut?: string | null;
  dga_company_rut?: string | null;
  /** `YYYY-MM-DD`, a calendar day in the report time zone. */
  dga_start_date?: string | null;
  dga_granted_flow?: number | null;
  dga_annual_volume?: number | null;
  dga_shac?: string | null;
}

/** The point column each DGA config field is stored in, to name it to whoever edits the point. */
export const POINT_DGA_FIELDS: Record<keyof DgaPointConfig, string> = {
  sendEnabled: 'dga_send',
  standard: 'dga_standard',
  type: 'dga_type',
  codigoObra: 'dga_code',
  informanteRut: 'dga_informant_rut',
  informantePassword: 'dga_password',
  companyRut: 'dga_company_rut',
  startDate: 'dga_start_date',
  grantedFlowLps: 'dga_granted_flow',
  annualVolumeM3: 'dga_annual_volume',
  shac: 'dga_shac',
};

/**
 * The DGA config of a point row. The password (decrypted, or any text standing for a stored one) and the
 * start instant come from the caller: the reporter knows the key and the report time zone.
 */
export function dgaInputOfPoint(point: PointDgaColumns, extra: { password: string | null; startDate: Date | null }): DgaConfigInput {
  return {
    sendEnabled: point.dga_send ?? false,
    standard: point.dga_standard,
    type: point.dga_type,
    codigoObra: point.dga_code,
    informanteRut: point.dga_informant_rut,
    informantePassword: extra.password,
    companyRut: point.dga_company_rut,
    startDate: extra.startDate,
    grantedFlowLps: point.dga_granted_flow,
    annualVolumeM3: point.dga_annual_volume,
    shac: point.dga_shac,
  };
}

/** `YYYY-MM-DD` that is a real calendar day → that day at 00:00 UTC (enough to tell a date from a non-date). */
function calendarDay(value: string | null | undefined): Date | null | undefined {
  if (value === null || value === undefined) return value;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return new Date(Number.NaN);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCDate() === Number(m[3]) && d.getUTCMonth() === Number(m[2]) - 1 ? d : new Date(Number.NaN);
}

/**
 * Problems with a point's DGA columns as they will be stored, named by point column. The same rules the
 * reporter applies before it sends: a point the API accepts with dga_send on is one the reporter can report.
 */
export function validatePointDga(point: PointDgaColumns, opts: { hasPassword: boolean }): DgaFieldError[] {
  const input = dgaInputOfPoint(point, { password: opts.hasPassword ? 'stored' : null, startDate: null });
  input.startDate = calendarDay(point.dga_start_date);
  return validateDgaConfig(input).map((e) => ({ field: POINT_DGA_FIELDS[e.field as keyof DgaPointConfig] ?? e.field, message: e.message }));
}
