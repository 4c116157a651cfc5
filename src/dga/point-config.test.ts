import { parseVariables } from '../registry/variables.js';
import { describe, expect, it } from 'vitest';
import type { DgaPointRow } from './dga-point.repository.js';
import { preparePoint, type PointConfigSources } from './point-config.js';

const TZ = 'Etc/GMT+4';

const point: DgaPointRow = {
  id: 7,
  title: 'Pozo 1',
  client_id: 1,
  dga_send: true,
  dga_standard: 'MAYOR',
  dga_type: 'SUBTERRANEO',
  dga_code: 'OB-0602-7',
  dga_informant_rut: '20999888-2',
  dga_password_enc: 'enc:demo',
  dga_company_rut: '77555666-8',
  dga_start_date: '2026-06-01',
  dga_totalizer_source: null,
  updated_at: new Date('2026-06-01T00:00:00Z'),
};

const wellVariables = { caudal: { kind: 'flow', channel: 'c' }, total: { kind: 'totalizer', channel: 't' }, nivel: { kind: 'level', channel: 'n' } };

function sources(over: Partial<PointConfigSources> = {}): PointConfigSources {
  return {
    tz: TZ,
    variables: async () => parseVariables(wellVariables),
    password: (enc) => {
      if (!enc.startsWith('enc:')) throw new Error('the stored password cannot be decrypted');
      return enc.slice(4);
    },
    ...over,
  };
}

describe('preparePoint', () => {
  it('gives the configuration with the decrypted password, the start date at local midnight, and the variables', async () => {
    const prepared = await preparePoint(point, sources());
    expect(prepared).toMatchObject({
      ok: true,
      config: { codigoObra: 'OB-0602-7', informantePassword: 'demo', startDate: new Date('2026-06-01T04:00:00Z') },
      vars: { totalizer: 'total', flow: 'caudal', level: 'nivel' },
    });
  });

  it('names every reason a point cannot report', async () => {
    const broken = await preparePoint({ ...point, dga_password_enc: 'garbage', dga_code: null }, sources());
    expect(broken.ok).toBe(false);
    const problems = broken.ok ? [] : broken.problems;
    expect(problems).toContain('the stored password cannot be decrypted');
    expect(problems.some((p) => p.startsWith('codigoObra'))).toBe(true);

    const unreadable = await preparePoint(point, sources({ variables: () => Promise.reject(new Error('no schema')) }));
    expect(unreadable).toEqual({ ok: false, problems: ['the point schema cannot be read: no schema'] });

    const noLevel = await preparePoint(point, sources({ variables: async () => parseVariables({ total: { kind: 'totalizer', channel: 't' } }) }));
    expect(noLevel.ok).toBe(false);
    const surface = await preparePoint({ ...point, dga_type: 'SUPERFICIAL' }, sources({ variables: async () => parseVariables({ total: { kind: 'totalizer', channel: 't' } }) }));
    expect(surface.ok).toBe(true);
  });
});
