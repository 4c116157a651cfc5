import { normalizeUnit, tidy } from './scaling.js';
import type { PointContext, QualityFlag, VariableConfig } from './types.js';
import { NOTHING_APPLIED, SharedApplied, mergeApplied, type Applied } from './applied.js';
import { NO_FLAGS, UNKNOWN_UNIT } from './quality.js';

const METRES_PER_UNIT: Record<string, number> = { m: 1, mca: 1, mh2o: 1, 'm.c.a.': 1, cm: 0.01 };

/**
 * Nivel freático (depth from the surface to the water, m) = level-sensor position − water column above
 * the sensor. Both are depths/heights in metres; the result grows as the water table falls.
 */
export function waterTableDepth(sensorPosition: number, waterColumn: number): number {
  return tidy(sensorPosition - waterColumn);
}

export interface LevelResult {
  value: number | null;
  flags: readonly QualityFlag[];
  /** Shared between readings (frozen): the unit conversion, the sensor position. */
  applied: Applied;
  /** The water column this reading measured, m (with a sensor position): applied too, the reading's own. */
  waterColumn?: number;
}

/**
 * The level step, on the channel value after scale/offset. Without a sensor position there is no
 * water table to give: the reading is kept (raw) with a null value and a flag, so that it can be
 * recomputed once an operator fills the position in — it is not a dead letter.
 * What it applied is shared between readings (the unit conversion, the sensor position), but for the
 * water column each reading measured.
 */
export function processLevel(scaled: number, config: VariableConfig, point: Pick<PointContext, 'levelSensorPosition'>): LevelResult {
  const unit = normalizeUnit(config.unit);
  const perUnit = unit === undefined ? 1 : METRES_PER_UNIT[unit];
  const flags = perUnit === undefined ? UNKNOWN_UNIT : NO_FLAGS;
  const metres = tidy(scaled * (perUnit ?? 1));
  const conversion = perUnit !== undefined && perUnit !== 1 ? `${unit}→m` : undefined;

  if (config.processing?.level_from_sensor_position === false) {
    return { value: metres, flags, applied: depthChannel.get(conversion) };
  }
  const position = point.levelSensorPosition;
  if (position === null || position === undefined) {
    return { value: null, flags: [...flags, 'missing_sensor_position'], applied: conversion === undefined ? NOTHING_APPLIED : conversions.get(conversion) };
  }
  const depth = waterTableDepth(position, metres);
  // A column taller than the sensor is deep puts the water at or above the surface (an artesian well, a
  // flooded casing or a wrong sensor position): the depth to water is 0, never negative.
  const shared = conversion === undefined ? positions.get(position) : mergeApplied(conversions.get(conversion), positions.get(position));
  return {
    value: depth < 0 ? 0 : depth,
    flags: depth < 0 ? [...flags, 'above_sensor'] : flags,
    applied: shared,
    waterColumn: metres,
  };
}

const conversions = new SharedApplied((conversion: string) => ({ conversion }));
const positions = new SharedApplied((position: number) => ({ level_sensor_position: position }));
const depthChannel = new SharedApplied((conversion: string | undefined) =>
  conversion === undefined ? { level: 'channel is depth to water' } : { conversion, level: 'channel is depth to water' },
);
