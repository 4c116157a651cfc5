/** DGA "Monitoreo de Extracciones Efectivas" (MEE): the domain words of the reporting rules. */

/** Reporting standard of a work: sets how often a reading is due (see slots.ts). */
export type DgaStandard = 'MAYOR' | 'MEDIO' | 'MENOR' | 'CAUDALES_MUY_PEQUENOS';
export const DGA_STANDARDS: readonly DgaStandard[] = ['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS'];

/** Names of the legacy system, accepted on input: `SIN_ESTANDAR` (no standard assigned) reports as MAYOR. */
export const LEGACY_DGA_STANDARDS = { SIN_ESTANDAR: 'MAYOR' } as const satisfies Record<string, DgaStandard>;

/** The standard a value names, legacy names read as their current one; anything else unchanged. */
export function normalizeDgaStandard<T>(value: T): T | DgaStandard {
  return typeof value === 'string' && Object.hasOwn(LEGACY_DGA_STANDARDS, value)
    ? LEGACY_DGA_STANDARDS[value as keyof typeof LEGACY_DGA_STANDARDS]
    : value;
}

/** SUBTERRANEO = well (reports water table), SUPERFICIAL = surface intake with a flowmeter. */
export type DgaType = 'SUBTERRANEO' | 'SUPERFICIAL';
export const DGA_TYPES: readonly DgaType[] = ['SUBTERRANEO', 'SUPERFICIAL'];

/** A point's DGA settings. The password is decrypted in memory only; never log or return it. */
export interface DgaPointConfig {
  sendEnabled: boolean;
  standard: DgaStandard;
  type: DgaType;
  /** DGA work code, e.g. `OB-0602-7`. */
  codigoObra: string;
  /** RUT of the person registered at DGA to report this work. */
  informanteRut: string;
  informantePassword: string;
  companyRut: string;
  /** First instant that may be reported (use `localMidnight` for a calendar date). */
  startDate: Date;
  grantedFlowLps: number | null;
  annualVolumeM3: number | null;
  shac?: string | null;
}

/** What a slot reports, before formatting. */
export interface DgaReading {
  /** Average flow over the slot window, L/s. */
  caudalLps: number;
  /** Totalizer at the slot time, m³. */
  totalizerM3: number;
  /** Depth to groundwater at the slot time, m; null when not measured. */
  waterTableM: number | null;
}

/** One problem with an input, named by the field a person has to fix. */
export interface DgaFieldError {
  field: string;
  message: string;
}
