import { normalizeUnit, tidy } from './scaling.js';
import type { PointContext, QualityFlag, VariableConfig } from './types.js';

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
  flags: QualityFlag[];
  applied: Record<string, unknown>;
}

/**
 * The level step, on the channel value after scale/offset. Without a sensor position there is no
 * water table to give: the reading is kept (raw) with a null value and a flag, so that it can be
 * recomputed once an operator fills the position in — it is not a dead letter.
 */
export function processLevel(scaled: number, config: VariableConfig, point: Pick<PointContext, 'levelSensorPosition'>): LevelResult {
  const unit = normalizeUnit(config.unit);
  const perUnit = unit === undefined ? 1 : METRES_PER_UNIT[unit];
  const flags: QualityFlag[] = perUnit === undefined ? ['unknown_unit'] : [];
  const metres = tidy(scaled * (perUnit ?? 1));
  const applied: Record<string, unknown> = perUnit !== undefined && perUnit !== 1 ? { conversion: `${unit}→m` } : {};

  if (config.processing?.level_from_sensor_position === false) {
    return { value: metres, flags, applied: { ...applied, level: 'channel is depth to water' } };
  }
  const position = point.levelSensorPosition;
  if (position === null || position === undefined) {
    return { value: null, flags: [...flags, 'missing_sensor_position'], applied };
  }
  const depth = waterTableDepth(position, metres);
  // A column taller than the sensor is deep puts the water at or above the surface (an artesian well, a
  // flooded casing or a wrong sensor position): the depth to water is 0, never negative.
  return {
    value: depth < 0 ? 0 : depth,
    flags: depth < 0 ? [...flags, 'above_sensor'] : flags,
    applied: { ...applied, level_sensor_position: position, water_column_m: metres },
  };
}
