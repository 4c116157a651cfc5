import { describe, expect, it } from 'vitest';
import { processLevel, waterTableDepth } from './level.js';
import type { VariableConfig } from './types.js';

const nivel: VariableConfig = { kind: 'level', unit: 'm', channel: 'nivel' };

describe('water table', () => {
  it('is sensor position minus the water column above it', () => {
    expect(waterTableDepth(50, 40.15)).toBe(9.85);
    expect(processLevel(40.15, nivel, { levelSensorPosition: 50 })).toEqual({
      value: 9.85,
      flags: [],
      applied: { level_sensor_position: 50 },
      waterColumn: 40.15,
    });
  });

  it('is 0.00 with flag above_sensor when the column is taller than the sensor is deep (d3 30 m, channel 31.2 m)', () => {
    expect(processLevel(31.2, nivel, { levelSensorPosition: 30 })).toEqual({
      value: 0,
      flags: ['above_sensor'],
      applied: { level_sensor_position: 30 },
      waterColumn: 31.2,
    });
    expect(processLevel(30, nivel, { levelSensorPosition: 30 })).toMatchObject({ value: 0, flags: [] });
  });

  it('converts a column in cm', () => {
    const r = processLevel(4015, { ...nivel, unit: 'cm' }, { levelSensorPosition: 50 });
    expect(r.value).toBe(9.85);
    expect(r.applied.conversion).toBe('cm→m');
  });

  it('without a sensor position gives no value and says why', () => {
    for (const levelSensorPosition of [null, undefined]) {
      expect(processLevel(40.15, nivel, { levelSensorPosition })).toEqual({
        value: null,
        flags: ['missing_sensor_position'],
        applied: {},
      });
    }
  });

  it('takes the channel as the depth when the variable is configured so', () => {
    const config: VariableConfig = { ...nivel, processing: { level_from_sensor_position: false } };
    expect(processLevel(9.85, config, { levelSensorPosition: null }).value).toBe(9.85);
  });

  it('flags a unit it cannot convert', () => {
    expect(processLevel(1, { ...nivel, unit: 'psi' }, { levelSensorPosition: 50 }).flags).toEqual([
      'unknown_unit',
    ]);
  });
});
