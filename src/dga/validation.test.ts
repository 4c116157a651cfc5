import { describe, expect, it } from 'vitest';
import { isValidCodigoObra, parseDgaConfig, validateDgaConfig, validatePointDga } from './validation.js';

const valid = {
  sendEnabled: true,
  standard: 'MAYOR',
  type: 'SUBTERRANEO',
  codigoObra: 'OB-0602-7',
  informanteRut: '20.999.888-2',
  informantePassword: 'secret',
  companyRut: '77555666-8',
  startDate: new Date('2026-06-01T04:00:00Z'),
  grantedFlowLps: 20,
  annualVolumeM3: 500_000,
};

describe('código de obra', () => {
  it('accepts OB and OR codes and rejects everything else', () => {
    expect(isValidCodigoObra('OB-0602-7')).toBe(true);
    expect(isValidCodigoObra('OR-0101-123')).toBe(true);
    for (const bad of ['ob-0602-7', 'OB-602-7', 'OB-0602-', 'OX-0602-7', ' OB-0602-7', 'OB-0602-7A']) {
      expect(isValidCodigoObra(bad)).toBe(false);
    }
  });
});

describe('validateDgaConfig', () => {
  it('accepts a complete config', () => {
    expect(validateDgaConfig(valid)).toEqual([]);
  });

  it('names every wrong field', () => {
    const errors = validateDgaConfig({
      ...valid,
      standard: 'GRANDE',
      codigoObra: 'OB-602-7',
      informanteRut: '20999888-3',
      grantedFlowLps: -1,
    });
    expect(errors.map((e) => e.field)).toEqual(['standard', 'codigoObra', 'informanteRut', 'grantedFlowLps']);
    expect(errors.find((e) => e.field === 'informanteRut')?.message).toMatch(/RUT/);
  });

  it('requires everything DGA needs only when sending is on', () => {
    const missing = { sendEnabled: true, standard: 'MEDIO', type: 'SUPERFICIAL' };
    expect(validateDgaConfig(missing).map((e) => e.field)).toEqual([
      'codigoObra',
      'informanteRut',
      'companyRut',
      'informantePassword',
      'startDate',
    ]);
    expect(validateDgaConfig({ ...missing, sendEnabled: false })).toEqual([]);
    expect(validateDgaConfig({ sendEnabled: false, codigoObra: 'nope' }).map((e) => e.field)).toEqual(['codigoObra']);
  });

  it('reads the legacy SIN_ESTANDAR as MAYOR; other unknown standards are refused', () => {
    const parsed = parseDgaConfig({ ...valid, standard: 'SIN_ESTANDAR' });
    expect(parsed.ok && parsed.config.standard).toBe('MAYOR');
    expect(validateDgaConfig({ ...valid, standard: 'SIN_ESTANDARD' }).map((e) => e.field)).toEqual(['standard']);
  });

  it('parses into a normalised config', () => {
    const parsed = parseDgaConfig({ ...valid, codigoObra: ' OB-0602-7 ' });
    expect(parsed.ok && parsed.config.informanteRut).toBe('20999888-2');
    expect(parsed.ok && parsed.config.codigoObra).toBe('OB-0602-7');
    expect(parseDgaConfig({ ...valid, companyRut: 'x' })).toEqual({
      ok: false,
      errors: [{ field: 'companyRut', message: expect.stringMatching(/RUT/) }],
    });
  });
});

describe('validatePointDga', () => {
  const point = {
    dga_send: true,
    dga_standard: 'MAYOR',
    dga_type: 'SUBTERRANEO',
    dga_code: 'OB-0602-7',
    dga_informant_rut: '20.999.888-2',
    dga_company_rut: '77555666-8',
    dga_start_date: '2026-06-01',
  };

  it('accepts a complete point and names problems by point column', () => {
    expect(validatePointDga(point, { hasPassword: true })).toEqual([]);
    expect(validatePointDga({ ...point, dga_start_date: null }, { hasPassword: false }).map((e) => e.field)).toEqual([
      'dga_password',
      'dga_start_date',
    ]);
  });

  it('refuses a start date that is not a calendar day', () => {
    for (const bad of ['2026-02-30', '2026-6-1', 'tomorrow']) {
      expect(validatePointDga({ ...point, dga_start_date: bad }, { hasPassword: true })).toEqual([
        { field: 'dga_start_date', message: 'must be a valid date' },
      ]);
    }
  });

  it('with sending off, still refuses malformed values but not missing ones', () => {
    expect(validatePointDga({ dga_send: false }, { hasPassword: false })).toEqual([]);
    expect(validatePointDga({ dga_send: false, dga_code: 'XX-1' }, { hasPassword: false }).map((e) => e.field)).toEqual(['dga_code']);
  });
});
