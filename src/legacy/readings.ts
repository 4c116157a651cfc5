/**
 * Legacy measurement rows as readings: pure, so the import (and its dry run) and the tests read them
 * the same way. Values are kept as the legacy system computed them.
 */
import type { ProcessingSettings, VariableConfig, VariableKind } from '../registry/variables.js';
import { legacyTimestamp, parseLegacyTotal } from './rules.js';

export type LegacyVariable = 'caudal' | 'totalizador' | 'nivel' | 'caudal_promedio';
export type LegacyQualityFlag = 'legacy_import' | 'legacy_error';

export interface LegacyReadings {
  at: Date;
  naive: boolean;
  flag: LegacyQualityFlag;
  readings: Array<{ variable: LegacyVariable; value: number }>;
  /** Values present but unusable, each dropped with its reason. */
  dropped: Array<{ field: string; from: unknown; reason: string }>;
}

export type LegacyRowResult = { ok: true; value: LegacyReadings } | { ok: false; reason: string };

const INTERACTION_FIELDS: ReadonlyArray<readonly [string, LegacyVariable]> = [
  ['flow', 'caudal'],
  ['total', 'totalizador'],
  ['nivel', 'nivel'],
];

const isAbsent = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && (v.trim() === '' || v.trim().toLowerCase() === 'null'));

/** One `core.interactiondetail` row: caudal, totalizador (a string total), nivel at `date_time_medition`. */
export function interactionReadings(fields: Record<string, unknown>): LegacyRowResult {
  const t = legacyTimestamp(fields['date_time_medition']);
  if (!t) return { ok: false, reason: `no usable timestamp (date_time_medition ${JSON.stringify(fields['date_time_medition'] ?? null)})` };
  const readings: LegacyReadings['readings'] = [];
  const dropped: LegacyReadings['dropped'] = [];
  for (const [field, variable] of INTERACTION_FIELDS) {
    const raw = fields[field];
    const value = parseLegacyTotal(raw);
    if (value !== null) readings.push({ variable, value });
    else if (!isAbsent(raw) || field === 'total') {
      if (raw !== undefined) dropped.push({ field, from: raw ?? null, reason: isAbsent(raw) ? 'empty, dropped' : 'not a number, dropped' });
    }
  }
  if (readings.length === 0) return { ok: false, reason: 'no usable value (flow, total and nivel all empty or not numbers)' };
  return { ok: true, value: { at: t.at, naive: t.naive, flag: fields['is_error'] === true ? 'legacy_error' : 'legacy_import', readings, dropped } };
}

const TYPE_VARIABLES: Record<string, LegacyVariable> = {
  NIVEL: 'nivel',
  CAUDAL: 'caudal',
  TOTALIZADO: 'totalizador',
  CAUDAL_PROMEDIO: 'caudal_promedio',
};

/** The variable a legacy `core.variable` type_variable stores into; null for a type this system has no variable for. */
export function variableOfType(typeVariable: unknown): LegacyVariable | null {
  return typeof typeVariable === 'string' ? (TYPE_VARIABLES[typeVariable.trim().toUpperCase()] ?? null) : null;
}

/** A TimeSeriesData `value` (JSON): a number, a numeric string, or an object holding one under `value`/`v`. */
export function timeSeriesValue(value: unknown): number | null {
  if (typeof value === 'number' || typeof value === 'string') return parseLegacyTotal(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const key of ['value', 'v']) if (key in o) return timeSeriesValue(o[key]);
  }
  return null;
}

/** Values closer than this are the same reading stored twice. */
export const SAME_READING_TOLERANCE = 0.001;

/**
 * The same (point, variable, instant) in InteractionDetail and TimeSeriesData: InteractionDetail is kept;
 * the TimeSeriesData row is a duplicate when the values agree, a conflict when they differ.
 */
export function reconcile(interactionValue: number, timeSeriesValue: number): 'duplicates' | 'conflicts' {
  return Math.abs(interactionValue - timeSeriesValue) <= SAME_READING_TOLERANCE + Number.EPSILON * Math.abs(interactionValue) * 4
    ? 'duplicates'
    : 'conflicts';
}

const KIND_OF: Record<LegacyVariable, VariableKind> = { caudal: 'flow', totalizador: 'totalizer', nivel: 'level', caudal_promedio: 'other' };

/**
 * The point variable a legacy `core.variable` configures: its channel (`str_variable`), label, and the
 * processing the legacy system applied to collected values (`calculate_nivel` divides the channel,
 * `convert_to_lt` turns m³/h into L/s).
 */
export function legacyVariableConfig(fields: Record<string, unknown>, variable: LegacyVariable, channel: string): VariableConfig {
  const config: VariableConfig = { kind: KIND_OF[variable], channel };
  const label = typeof fields['label'] === 'string' ? fields['label'].replace(/\0/g, '').trim() : '';
  if (label) config.label = label;
  const processing: ProcessingSettings = {};
  const divisor = parseLegacyTotal(fields['calculate_nivel']);
  if (divisor !== null && divisor > 0 && divisor !== 1) processing.divisor = divisor;
  if (fields['convert_to_lt'] === true) processing.m3h_to_ls = true;
  if (Object.keys(processing).length > 0) config.processing = processing;
  return config;
}
