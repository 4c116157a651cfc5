import { describe, expect, it } from 'vitest';
import { legacyCoordinates, parseCoordinate } from './coordinates.js';

describe('parseCoordinate', () => {
  it.each([
    ['-33.4489', -33.4489, true],
    ['-33,4489', -33.4489, true],
    ['  - 33.4489 ', -33.4489, true],
    ['33.4489', 33.4489, false],
    ['33.4489 S', -33.4489, true],
    ['S 33.4489', -33.4489, true],
    ['70,6693 W', -70.6693, true],
    ['70.6693 O', -70.6693, true],
    [`33°26'56.3"S`, -(33 + 26 / 60 + 56.3 / 3600), true],
    [`70º39'W`, -(70 + 39 / 60), true],
    [`33° 26' 56,3" S`, -(33 + 26 / 60 + 56.3 / 3600), true],
    [`33°26'56.3''S`, -(33 + 26 / 60 + 56.3 / 3600), true],
    [`-33°26'`, -(33 + 26 / 60), true],
    [-33.1, -33.1, true],
  ])('%s → %f (signed %s)', (text, value, signed) => {
    const p = parseCoordinate(text);
    expect(p?.value).toBeCloseTo(value, 9);
    expect(p?.signed).toBe(signed);
  });

  it.each([null, '', '   ', 'abc', '33°75\'S', '-33.4 N', '33.44.5', Number.NaN, {}])('%s → null', (text) => {
    expect(parseCoordinate(text)).toBeNull();
  });
});

describe('legacyCoordinates', () => {
  it.each([
    ['plain decimals, no correction', '-33.4489', '-70.6693', -33.4489, -70.6693, []],
    ['numbers, no correction', -33.4489, -70.6693, -33.4489, -70.6693, []],
    ['decimal commas', '-33,4489', '-70,6693', -33.4489, -70.6693, ['decimal comma', 'decimal comma']],
    ['DMS with hemispheres', `33°26'56.3"S`, `70º39'W`, -33.44897222, -70.65, [
      'hemisphere letter, degrees-minutes-seconds', 'hemisphere letter, degrees-minutes-seconds']],
    ['decimal with hemisphere', '33.4489 S', '70.6693 W', -33.4489, -70.6693, ['hemisphere letter', 'hemisphere letter']],
    ['unsigned pair negated', '33.4489', '70.6693', -33.4489, -70.6693, [
      'no sign or hemisphere, negated', 'no sign or hemisphere, negated']],
    ['swapped pair', '-70.6693', '-33.4489', -33.4489, -70.6693, [
      'latitude and longitude swapped', 'latitude and longitude swapped']],
    ['Easter Island', '-27.1127', '-109.3497', -27.1127, -109.3497, []],
  ])('%s', (_name, lat, lon, latitude, longitude, reasons) => {
    const r = legacyCoordinates(lat, lon);
    expect(r.latitude).toBeCloseTo(latitude as number, 8);
    expect(r.longitude).toBeCloseTo(longitude as number, 8);
    expect(r.corrections.map((c) => c.reason)).toEqual(reasons);
  });

  it('reports what was typed and what was kept', () => {
    expect(legacyCoordinates(`33°26'56.3"S`, '-70.6693').corrections).toEqual([
      { field: 'lat', from: `33°26'56.3"S`, to: -33.44897222, reason: 'hemisphere letter, degrees-minutes-seconds' },
    ]);
  });

  it.each([
    ['both empty: nothing to report', null, '', []],
    ['one empty drops the pair', '-33.4', '', ['dropped: longitude is empty']],
    ['unparseable', 'cerca del río', '-70.6', ['unparseable', 'dropped: latitude is unparseable']],
    ['outside Chile (Buenos Aires)', '-34.6', '-58.4', ['outside Chile', 'outside Chile']],
    ['northern hemisphere', '33.4 N', '70.6 W', ['outside Chile', 'outside Chile']],
    ['zeros', '0', '0', ['outside Chile', 'outside Chile']],
  ])('%s → no coordinates', (_name, lat, lon, reasons) => {
    const r = legacyCoordinates(lat, lon);
    expect([r.latitude, r.longitude]).toEqual([null, null]);
    expect(r.corrections.map((c) => c.reason)).toEqual(reasons);
    for (const c of r.corrections) expect(c.to).toBeNull();
  });
});
