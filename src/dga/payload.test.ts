import { describe, expect, it } from 'vitest';
import {
  buildDgaRequest,
  dgaUrl,
  formatCaudal,
  formatFixed,
  formatTimeStampOrigen,
  formatTotalizer,
  formatWaterTable,
  redactDgaBody,
  type BuildDgaRequestInput,
} from './payload.js';

describe('decimal formatting', () => {
  it('rounds half up on the decimal value, not the binary one', () => {
    expect(formatFixed(1.005, 2)).toBe('1.01');
    expect(formatFixed(0.285, 2)).toBe('0.29');
    expect(formatFixed(15.314, 2)).toBe('15.31');
    expect(formatFixed(9.995, 2)).toBe('10.00');
    expect(formatFixed(123456789.125, 2)).toBe('123456789.13');
    expect(formatFixed(0.5, 0)).toBe('1');
  });
  it('pads to two decimals and never writes exponents', () => {
    expect(formatCaudal(2)).toBe('2.00');
    expect(formatCaudal(0.1)).toBe('0.10');
    expect(formatCaudal(1e-7)).toBe('0.00');
    expect(formatCaudal(1e21)).toBe('1000000000000000000000.00');
  });
  it('has no negative zero', () => {
    expect(formatCaudal(-0)).toBe('0.00');
    expect(formatCaudal(-0.004)).toBe('0.00');
    expect(formatWaterTable(-0.001)).toBe('0.00');
    expect(formatWaterTable(-1.005)).toBe('-1.01');
  });
  it('refuses negative flow and non-numbers', () => {
    expect(() => formatCaudal(-0.01)).toThrow(/negative/);
    expect(() => formatCaudal(Number.NaN)).toThrow(RangeError);
    expect(() => formatWaterTable(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('totalizer formatting', () => {
  it('is whole m³ as the meter shows them, without separators', () => {
    expect(formatTotalizer(1010.7)).toBe('1010');
    expect(formatTotalizer(1234567)).toBe('1234567');
    expect(formatTotalizer(0)).toBe('0');
    expect(formatTotalizer(-0)).toBe('0');
  });
  it('ignores float noise just below a whole m³', () => {
    expect(formatTotalizer(1010.9999999999)).toBe('1011');
    expect(formatTotalizer(1010.9996)).toBe('1010');
  });
  it('allows 15 characters and refuses more, or negatives', () => {
    expect(formatTotalizer(999_999_999_999_999)).toBe('999999999999999');
    expect(() => formatTotalizer(1e15)).toThrow(/15 characters/);
    expect(() => formatTotalizer(-1)).toThrow(/negative/);
    expect(() => formatTotalizer(Number.NaN)).toThrow(RangeError);
  });
});

describe('timeStampOrigen', () => {
  it('is the local send time followed by the literal -0000', () => {
    expect(formatTimeStampOrigen(new Date('2026-06-12T03:30:05Z'), 'Etc/GMT+4')).toBe('2026-06-11T23:30:05-0000');
  });
});

const well: BuildDgaRequestInput = {
  tz: 'Etc/GMT+4',
  config: {
    standard: 'MAYOR',
    type: 'SUBTERRANEO',
    codigoObra: 'OB-0602-7',
    informanteRut: '20.999.888-2',
    informantePassword: 's3cret',
    companyRut: '77.555.666-8',
  },
  slot: new Date('2026-06-11T17:00:00Z'), // 13:00 local
  reading: { caudalLps: 15.314, totalizerM3: 1010.4, waterTableM: 9.849 },
  sentAt: new Date('2026-06-11T17:05:09Z'),
};

describe('buildDgaRequest', () => {
  it('builds the well request: headers, wells path, every value a string in the DGA format', () => {
    const built = buildDgaRequest(well);
    expect(built).toEqual({
      ok: true,
      request: {
        path: '/mediciones/subterraneas',
        headers: { 'Content-Type': 'application/json', codigoObra: 'OB-0602-7', timeStampOrigen: '2026-06-11T13:05:09-0000' },
        body: {
          autenticacion: { password: 's3cret', rutEmpresa: '77555666-8', rutUsuario: '20999888-2' },
          medicionSubterranea: {
            caudal: '15.31',
            fechaMedicion: '2026-06-11',
            horaMedicion: '13:00:00',
            nivelFreaticoDelPozo: '9.85',
            totalizador: '1010',
          },
        },
      },
    });
    expect(built.ok && JSON.stringify(built.request.body)).toBe(
      '{"autenticacion":{"password":"s3cret","rutEmpresa":"77555666-8","rutUsuario":"20999888-2"},' +
        '"medicionSubterranea":{"caudal":"15.31","fechaMedicion":"2026-06-11","horaMedicion":"13:00:00","nivelFreaticoDelPozo":"9.85","totalizador":"1010"}}',
    );
  });

  it('builds the surface request without water table', () => {
    const built = buildDgaRequest({ ...well, config: { ...well.config, type: 'SUPERFICIAL' }, reading: { ...well.reading, waterTableM: null } });
    expect(built.ok && built.request.path).toBe('/mediciones/superficiales/flujometro');
    expect(built.ok && built.request.body).toEqual({
      autenticacion: { password: 's3cret', rutEmpresa: '77555666-8', rutUsuario: '20999888-2' },
      medicionSuperficialFlujometro: { caudal: '15.31', fechaMedicion: '2026-06-11', horaMedicion: '13:00:00', totalizador: '1010' },
    });
  });

  it('dates a slot in local time across midnight', () => {
    const late = buildDgaRequest({ ...well, slot: new Date('2026-06-12T03:00:00Z') });
    expect(late.ok && late.request.body).toMatchObject({ medicionSubterranea: { fechaMedicion: '2026-06-11', horaMedicion: '23:00:00' } });
    const daily = buildDgaRequest({ ...well, config: { ...well.config, standard: 'MEDIO' }, slot: new Date('2026-06-12T04:00:00Z') });
    expect(daily.ok && daily.request.body).toMatchObject({ medicionSubterranea: { fechaMedicion: '2026-06-12', horaMedicion: '00:00:00' } });
  });

  it('sends an empty water table only for CAUDALES_MUY_PEQUENOS', () => {
    const noLevel = { ...well.reading, waterTableM: null };
    const small = buildDgaRequest({
      ...well,
      config: { ...well.config, standard: 'CAUDALES_MUY_PEQUENOS' },
      slot: new Date('2026-07-01T04:00:00Z'),
      reading: noLevel,
    });
    expect(small.ok && small.request.body).toMatchObject({ medicionSubterranea: { nivelFreaticoDelPozo: '' } });
    expect(buildDgaRequest({ ...well, reading: noLevel })).toEqual({
      ok: false,
      errors: [{ field: 'nivelFreaticoDelPozo', message: expect.stringMatching(/MAYOR/) }],
    });
  });

  it('lists every field that prevents sending', () => {
    const built = buildDgaRequest({
      ...well,
      config: { ...well.config, codigoObra: 'OB-06-7', informanteRut: '20999888-3', informantePassword: '' },
      slot: new Date('2026-06-11T17:30:00Z'),
      reading: { caudalLps: -2, totalizerM3: 1e16, waterTableM: 3 },
    });
    expect(built.ok).toBe(false);
    expect(!built.ok && built.errors.map((e) => e.field)).toEqual([
      'codigoObra',
      'rutUsuario',
      'password',
      'horaMedicion',
      'caudal',
      'totalizador',
    ]);
  });

  it('joins the endpoint to the base URL and masks the password for storage', () => {
    expect(dgaUrl('https://apimee.mop.gob.cl/api/v1/', 'SUBTERRANEO')).toBe('https://apimee.mop.gob.cl/api/v1/mediciones/subterraneas');
    const built = buildDgaRequest(well);
    expect(built.ok && redactDgaBody(built.request.body).autenticacion.password).toBe('***');
    expect(built.ok && built.request.body.autenticacion.password).toBe('s3cret');
  });
});
