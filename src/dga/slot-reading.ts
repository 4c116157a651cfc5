/**
 * From a point's stored series to the numbers one slot reports: caudal = average flow over
 * the slot window (totalizer delta, reset-aware; else the mean instantaneous flow), totalizador and
 * nivel freático = the latest usable sample at or before the slot time, if it is recent enough.
 * A slot whose numbers cannot be found is never sent with made-up ones: the caller gets the list of
 * what is missing.
 */
import {
  counterLimitsOf, dgaTotalizerSourceOf, flowOf, levelOf, totalizerOf, type DgaTotalizerSource, type PointVariables,
} from '../registry/variables.js';
import { sampleAt, slotCaudal } from './caudal.js';
import { slotWindow } from './slots.js';
import type { DgaReading, DgaStandard, DgaType } from './types.js';

/** Which variable keys of a point's merged variables_config feed the DGA fields. */
export interface DgaVariables {
  totalizer: string | null;
  flow: string | null;
  level: string | null;
  /** totalizador: the meter's own reading (default) or the continuous total (the totalizer's setting). */
  totalizerSource: DgaTotalizerSource;
  /** A totalizer drop up to this many m³ is noise, not a counter reset (the processor's rule). */
  resetToleranceM3: number;
}

/** The point's totalizer, flow and level as every report picks them (registry/variables.ts). */
export function dgaVariables(vars: PointVariables): DgaVariables {
  const totalizer = totalizerOf(vars);
  return {
    totalizer: totalizer?.key ?? null,
    flow: flowOf(vars)?.key ?? null,
    level: levelOf(vars)?.key ?? null,
    totalizerSource: dgaTotalizerSourceOf(totalizer),
    resetToleranceM3: counterLimitsOf(vars, totalizer).resetToleranceM3,
  };
}

/** A well reports the water table unless it is under CAUDALES_MUY_PEQUENOS (then "" is allowed). */
export function needsWaterTable(type: DgaType, standard: DgaStandard): boolean {
  return type === 'SUBTERRANEO' && standard !== 'CAUDALES_MUY_PEQUENOS';
}

/** Why a point cannot report at all with its variables (empty when it can). */
export function variableProblems(vars: DgaVariables, type: DgaType, standard: DgaStandard): string[] {
  const problems: string[] = [];
  if (!vars.totalizer) problems.push('no totalizer variable (kind totalizer or pulses) in the point schema: DGA requires totalizador');
  if (needsWaterTable(type, standard) && !vars.level) {
    problems.push(`no level variable (kind level) in the point schema: a well under ${standard} must report nivelFreaticoDelPozo`);
  }
  return problems;
}

export interface Sample {
  ts: Date;
  /** The effective value; for a totalizer the continuous total. */
  value: number;
  /** Totalizers: the meter's own reading (no initial reading, no reset offsets); null when unknown. */
  meter?: number | null;
}

/** Loads usable numeric samples of one variable in (from, to], oldest first. */
export type SampleLoader = (variable: string, from: Date, to: Date) => Promise<Sample[]>;

/** What went into a reading, stored beside the submission so an operator can see why a value was sent. */
export interface SlotReadingDetail {
  window: { from: string; to: string };
  caudal_lps: number;
  caudal_source: 'totalizer' | 'flow';
  totalizer_m3: number;
  totalizer_source: DgaTotalizerSource;
  /** The continuous total at the same reading (what consumption uses), for comparison. */
  totalizer_accumulated_m3: number;
  totalizer_ts: string;
  water_table_m: number | null;
  water_table_ts: string | null;
  variables: DgaVariables;
}

export type SlotReadingResult =
  | { ok: true; reading: DgaReading; detail: SlotReadingDetail }
  | { ok: false; missing: string[] };

/** Default oldest sample accepted as "the value at the slot time": covers hourly loggers with jitter. */
export const DEFAULT_MAX_SAMPLE_AGE_MS = 90 * 60_000;

export async function readSlot(input: {
  load: SampleLoader;
  vars: DgaVariables;
  standard: DgaStandard;
  type: DgaType;
  slot: Date;
  tz: string;
  maxSampleAgeMs?: number;
}): Promise<SlotReadingResult> {
  const { load, vars, standard, type, slot, tz } = input;
  const maxAge = input.maxSampleAgeMs ?? DEFAULT_MAX_SAMPLE_AGE_MS;
  const window = slotWindow(standard, slot, tz);
  const missing: string[] = [];

  const totalizer = vars.totalizer
    ? (await load(vars.totalizer, new Date(window.from.getTime() - maxAge), window.to)).map((s) => ({ ts: s.ts, m3: s.value, meter: s.meter ?? null }))
    : [];
  const flow = vars.flow ? (await load(vars.flow, window.from, window.to)).map((s) => ({ ts: s.ts, lps: s.value })) : [];
  const caudal = slotCaudal({ totalizer, flow, window, resetToleranceM3: vars.resetToleranceM3 });
  if (!caudal) missing.push('caudal: fewer than two totalizer readings and no flow reading in the slot window');

  const byMeter = vars.totalizerSource === 'meter';
  const totalizerAtSlot = sampleAt(byMeter ? totalizer.filter((s) => s.meter !== null) : totalizer, slot, maxAge);
  if (!totalizerAtSlot) {
    missing.push(
      vars.totalizer
        ? `totalizador: no ${vars.totalizer} reading in the ${maxAge / 60_000} min up to the slot time${byMeter ? ' with a meter reading' : ''}`
        : 'totalizador: the point has no totalizer variable',
    );
  }

  let level: Sample | null = null;
  if (type === 'SUBTERRANEO' && vars.level) {
    level = sampleAt(await load(vars.level, new Date(slot.getTime() - maxAge), slot), slot, maxAge);
  }
  if (!level && needsWaterTable(type, standard)) {
    missing.push(
      vars.level
        ? `nivelFreaticoDelPozo: no ${vars.level} reading in the ${maxAge / 60_000} min up to the slot time`
        : 'nivelFreaticoDelPozo: the point has no level variable',
    );
  }

  if (!caudal || !totalizerAtSlot || missing.length > 0) return { ok: false, missing };
  const totalizerM3 = byMeter ? totalizerAtSlot.meter! : totalizerAtSlot.m3;
  return {
    ok: true,
    reading: { caudalLps: caudal.lps, totalizerM3, waterTableM: level?.value ?? null },
    detail: {
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      caudal_lps: caudal.lps,
      caudal_source: caudal.source,
      totalizer_m3: totalizerM3,
      totalizer_source: vars.totalizerSource,
      totalizer_accumulated_m3: totalizerAtSlot.m3,
      totalizer_ts: totalizerAtSlot.ts.toISOString(),
      water_table_m: level?.value ?? null,
      water_table_ts: level?.ts.toISOString() ?? null,
      variables: vars,
    },
  };
}
