import { normalizeRut } from '../registry/rut.js';
import { DGA_STANDARDS, DGA_TYPES, type DgaFieldError, type DgaPointConfig } from './types.js';

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

  if (required('standard', 'the DGA standard') && !DGA_STANDARDS.includes(input.standard as never)) {
    add('standard', `must be one of ${DGA_STANDARDS.join(', ')}`);
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
      standard: input.standard as DgaPointConfig['standard'],
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
