import { describe, expect, it } from 'vitest';
import { mergeApplied, readingPart, SharedApplied, withReadingValue } from './applied.js';

describe('processing_config shared between readings', () => {
  const positions = new SharedApplied((p: number) => ({ level_sensor_position: p }));
  const config = Object.freeze({ kind: 'level', scale: 1, offset: 0 });

  it('gives one frozen object per value, and one merged object per pair of shared objects', () => {
    expect(positions.get(50)).toBe(positions.get(50));
    expect(Object.isFrozen(positions.get(50))).toBe(true);
    expect(mergeApplied(config, positions.get(50))).toBe(mergeApplied(config, positions.get(50)));
    expect(mergeApplied(config, positions.get(50))).toEqual({ kind: 'level', scale: 1, offset: 0, level_sensor_position: 50 });
    expect(mergeApplied(config, positions.get(60))).not.toBe(mergeApplied(config, positions.get(50)));
  });

  it('adds a reading own number after the shared keys, and remembers what it was made of', () => {
    const applied = withReadingValue(mergeApplied(config, positions.get(50)), 'water_column_m', 40.15);
    expect(JSON.stringify(applied)).toBe('{"kind":"level","scale":1,"offset":0,"level_sensor_position":50,"water_column_m":40.15}');
    expect(readingPart(applied)).toEqual({ shared: mergeApplied(config, positions.get(50)), key: 'water_column_m', value: 40.15 });
    expect(Object.keys(applied)).toEqual(['kind', 'scale', 'offset', 'level_sensor_position', 'water_column_m']);
  });

  it('copies objects that are not shared', () => {
    const mine = { conversion: 'cm→m' };
    const out = mergeApplied(config, mine);
    expect(out).toEqual({ ...config, ...mine });
    expect(Object.isFrozen(out)).toBe(false);
    expect(mergeApplied(config, {})).toBe(config);
  });
});
