import { describe, expect, it } from 'vitest';
import { parseBbox, validateCoordinates } from './coordinates.js';

describe('coordinates', () => {
  it('accepts both, or neither', () => {
    expect(() => validateCoordinates(-33.45, -70.66)).not.toThrow();
    expect(() => validateCoordinates(null, null)).not.toThrow();
    expect(() => validateCoordinates(undefined, undefined)).not.toThrow();
  });
  it('rejects one without the other, naming the missing field', () => {
    expect(() => validateCoordinates(-33.45, null)).toThrow('longitude is required when latitude is given');
    expect(() => validateCoordinates(undefined, -70)).toThrow('latitude is required when longitude is given');
  });
  it('rejects values out of range with the range in the message', () => {
    expect(() => validateCoordinates(-91, -70)).toThrow('latitude must be between -90 and 90');
    expect(() => validateCoordinates(-33, 180.5)).toThrow('longitude must be between -180 and 180');
    expect(() => validateCoordinates(90, 180)).not.toThrow();
  });
  it('parses and checks a bbox', () => {
    expect(parseBbox('-71,-34,-70,-33')).toEqual([-71, -34, -70, -33]);
    expect(() => parseBbox('-71,-34,-70')).toThrow('four numbers');
    expect(() => parseBbox('-70,-34,-71,-33')).toThrow('must not exceed');
    expect(() => parseBbox('-71,-95,-70,-33')).toThrow('within -90..90');
  });
});
