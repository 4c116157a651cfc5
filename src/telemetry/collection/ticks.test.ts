import { describe, expect, it } from 'vitest';
import { tickAt } from './ticks.js';

describe('tick alignment', () => {
  it('aligns ticks to whole periods in UTC', () => {
    const now = new Date('2026-11-30T10:37:42.123Z');
    expect(tickAt(now, 1).toISOString()).toBe('2026-11-30T10:37:00.000Z');
    expect(tickAt(now, 5).toISOString()).toBe('2026-11-30T10:35:00.000Z');
    expect(tickAt(now, 10).toISOString()).toBe('2026-11-30T10:30:00.000Z');
    expect(tickAt(now, 60).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    expect(tickAt(new Date('2026-11-30T10:35:00.000Z'), 5).toISOString()).toBe('2026-11-30T10:35:00.000Z');
  });
});
