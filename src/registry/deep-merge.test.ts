import { describe, expect, it } from 'vitest';
import { deepMerge, type Json } from './deep-merge.js';

const template: Json = {
  caudal: { label: 'Caudal', kind: 'flow', unit: 'L/s', channel: 'caudal', processing: { scale: 1, valid_range: { min: 0, max: 100 } } },
  totalizador: { label: 'Totalizador', kind: 'pulses', channel: 'pulsos', processing: { pulses_factor: 100 } },
  nivel: { label: 'Nivel', kind: 'level', channel: 'nivel' },
  tags: ['a', 'b'],
};

describe('deepMerge', () => {
  it('changes one nested setting of one variable and keeps the siblings', () => {
    const merged = deepMerge(template, { caudal: { processing: { scale: 2 } } }) as Record<string, any>;
    expect(merged.caudal.processing).toEqual({ scale: 2, valid_range: { min: 0, max: 100 } });
    expect(merged.caudal.label).toBe('Caudal');
    expect(merged.totalizador).toEqual(template.totalizador as object);
  });

  it('replaces arrays and scalars instead of merging them', () => {
    const merged = deepMerge(template, { tags: ['c'], nivel: { channel: 'level_m' } }) as Record<string, any>;
    expect(merged.tags).toEqual(['c']);
    expect(merged.nivel.channel).toBe('level_m');
  });

  it('removes keys set to null, at any depth', () => {
    const merged = deepMerge(template, { nivel: null, caudal: { processing: { valid_range: null } } }) as Record<string, any>;
    expect(merged).not.toHaveProperty('nivel');
    expect(merged.caudal.processing).toEqual({ scale: 1 });
  });

  it('an object replaces a scalar and a scalar replaces an object', () => {
    const merged = deepMerge({ a: 1, b: { x: 1 } }, { a: { y: 2 }, b: 3 });
    expect(merged).toEqual({ a: { y: 2 }, b: 3 });
  });

  it('adds new variables, dropping nulls inside them', () => {
    const merged = deepMerge(template, { presion: { kind: 'other', unit: 'bar', processing: { scale: null } } }) as Record<string, any>;
    expect(merged.presion).toEqual({ kind: 'other', unit: 'bar', processing: {} });
  });

  it('does not mutate its inputs', () => {
    const base = structuredClone(template);
    const custom: Json = { caudal: { processing: { scale: 3 } } };
    deepMerge(base, custom);
    expect(base).toEqual(template);
    expect(custom).toEqual({ caudal: { processing: { scale: 3 } } });
  });

  it('with no template the custom config is the whole config', () => {
    expect(deepMerge(undefined, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(deepMerge({ a: 1 }, undefined)).toEqual({ a: 1 });
  });
});
