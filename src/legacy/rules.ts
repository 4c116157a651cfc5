/** Pure rules that turn legacy field values into SmartHydro's; each says why it changed something. */
import type { ProviderName } from '../providers/provider.js';
import { normalizeRut } from '../registry/rut.js';
import { fromLocal, normalizeLocal } from '../lib/timezone.js';
import { DGA_STANDARDS, DGA_TYPES, normalizeDgaStandard, type DgaStandard, type DgaType } from '../dga/types.js';

/** The zone the legacy system wrote naive timestamps in. */
export const LEGACY_TIMEZONE = 'America/Santiago';

/** `76.086.428-5`, `76 086 428-k` → `76086428-5`, `…-K`; null when not a RUT or the check digit is wrong. */
export function legacyRut(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  return normalizeRut(input.replace(/[\s.]/g, ''));
}

const FLAGS: ReadonlyArray<readonly [string, ProviderName]> = [
  ['is_tdata', 'twin'],
  ['is_thethings', 'nettra'],
  ['is_novus', 'novus'],
];

export interface ProviderDecision {
  provider: ProviderName | null;
  /** false when the flags leave no provider: the point cannot collect. */
  canCollect: boolean;
  problem?: string;
}

/** Exactly one flag names the provider; none or several leave the point without one. */
export function providerFromFlags(fields: Record<string, unknown>): ProviderDecision {
  const set = FLAGS.filter(([flag]) => fields[flag] === true);
  if (set.length === 1) return { provider: set[0]![1], canCollect: true };
  if (set.length === 0) return { provider: null, canCollect: false };
  return {
    provider: null,
    canCollect: false,
    problem: `several provider flags set (${set.map(([f]) => f).join(', ')}): no provider, telemetry inactive`,
  };
}

export const LEGACY_FREQUENCIES = [1, 5, 10, 60] as const;

export interface FrequencyDecision {
  minutes: (typeof LEGACY_FREQUENCIES)[number];
  canCollect: boolean;
  problem?: string;
}

/** `frecuency` "1"/"5"/"10"/"60" in minutes; anything else → 60 with telemetry inactive. */
export function frequencyFrom(input: unknown): FrequencyDecision {
  const text = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim() : '';
  const minutes = LEGACY_FREQUENCIES.find((f) => String(f) === text);
  if (minutes !== undefined) return { minutes, canCollect: true };
  return { minutes: 60, canCollect: false, problem: `frecuency ${JSON.stringify(input ?? null)} is not 1, 5, 10 or 60: 60 minutes, telemetry inactive` };
}

const THOUSANDS_DOTS = /^\d{1,3}(\.\d{3})+$/;

/**
 * A legacy total written as text: decimal point or comma; more than one dot (or dots before a comma)
 * are thousands separators. Null when empty, `null` or not a number.
 */
export function parseLegacyTotal(input: unknown): number | null {
  if (typeof input === 'number') return Number.isFinite(input) ? input : null;
  if (typeof input !== 'string') return null;
  let text = input.trim().replace(/\s/g, '');
  let sign = '';
  if (/^[-+]/.test(text)) {
    sign = text[0] === '-' ? '-' : '';
    text = text.slice(1);
  }
  const commas = text.split(',').length - 1;
  const dots = text.split('.').length - 1;
  if (commas > 1) return null;
  if (commas === 1) {
    const [whole, fraction] = text.split(',') as [string, string];
    if (dots > 0 && !THOUSANDS_DOTS.test(whole)) return null;
    text = `${whole.replace(/\./g, '')}.${fraction}`;
  } else if (dots > 1) {
    if (!THOUSANDS_DOTS.test(text)) return null;
    text = text.replace(/\./g, '');
  }
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const value = Number(sign + text);
  return Number.isFinite(value) ? value : null;
}

export interface LegacyInstant {
  at: Date;
  /** Written without an offset: read as Chile local time. */
  naive: boolean;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A Django timestamp: with an offset or `Z` as given, naive ones in `America/Santiago`. Null when unusable. */
export function legacyTimestamp(input: unknown): LegacyInstant | null {
  if (typeof input !== 'string') return null;
  const m = TIMESTAMP.exec(input.trim());
  if (!m) return null;
  const local = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6] ?? 0) };
  if (local.month < 1 || local.month > 12 || local.hour > 23 || local.minute > 59 || local.second > 59) return null;
  const n = normalizeLocal(local);
  if (n.day !== local.day || n.month !== local.month) return null;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const zone = m[8];
  if (!zone) return { at: new Date(fromLocal(local, LEGACY_TIMEZONE).getTime() + ms), naive: true };
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
    if (Math.abs(offsetMin) > 14 * 60) return null;
  }
  const utc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, ms) - offsetMin * 60_000;
  return { at: new Date(utc), naive: false };
}

/**
 * The DGA standard, read by the DGA domain's own rule (legacy names such as SIN_ESTANDAR → MAYOR); a
 * legacy name is reported, anything unknown is dropped and reported.
 */
export function dgaStandardFrom(input: unknown): { standard: DgaStandard | null; problem?: string } {
  if (input === null || input === undefined || (typeof input === 'string' && input.trim() === '')) return { standard: null };
  const text = String(input).trim().toUpperCase().replace(/Ñ/g, 'N').replace(/\s+/g, '_');
  const standard = normalizeDgaStandard(text);
  if (!(DGA_STANDARDS as readonly string[]).includes(standard)) return { standard: null, problem: `unknown DGA standard ${JSON.stringify(input)} dropped` };
  if (standard !== text) return { standard: standard as DgaStandard, problem: `standard ${text} treated as ${standard}` };
  return { standard: standard as DgaStandard };
}

/** The DGA work type; anything else is dropped. */
export function dgaTypeFrom(input: unknown): DgaType | null {
  const text = typeof input === 'string' ? input.trim().toUpperCase() : '';
  return (DGA_TYPES as readonly string[]).includes(text) ? (text as DgaType) : null;
}
