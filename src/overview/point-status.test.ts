import { describe, expect, it } from 'vitest';
import { pointStatus, type PointStatus } from './point-status.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

describe('pointStatus', () => {
  const cases: [string, { active: boolean; frequency: number; last: Date | null }, PointStatus][] = [
    ['telemetry off, never read', { active: false, frequency: 5, last: null }, 'inactive'],
    ['telemetry off, fresh reading', { active: false, frequency: 5, last: ago(1) }, 'inactive'],
    ['telemetry off, old reading', { active: false, frequency: 60, last: ago(3 * 24 * 60) }, 'inactive'],
    ['active, never a reading', { active: true, frequency: 5, last: null }, 'no_data'],
    ['5 min, read 1 min ago', { active: true, frequency: 5, last: ago(1) }, 'reporting'],
    ['5 min, read exactly 2 periods ago', { active: true, frequency: 5, last: ago(10) }, 'reporting'],
    ['5 min, read just over 2 periods ago', { active: true, frequency: 5, last: new Date(ago(10).getTime() - 1) }, 'late'],
    ['1 min, read 3 min ago', { active: true, frequency: 1, last: ago(3) }, 'late'],
    ['60 min, read 90 min ago', { active: true, frequency: 60, last: ago(90) }, 'reporting'],
    ['60 min, read 121 min ago', { active: true, frequency: 60, last: ago(121) }, 'late'],
    ['5 min, read exactly 24 h ago', { active: true, frequency: 5, last: ago(24 * 60) }, 'late'],
    ['5 min, read just over 24 h ago', { active: true, frequency: 5, last: new Date(ago(24 * 60).getTime() - 1) }, 'disconnected'],
    ['60 min, read 3 days ago', { active: true, frequency: 60, last: ago(3 * 24 * 60) }, 'disconnected'],
    ['device clock ahead: reading in the future', { active: true, frequency: 5, last: ago(-30) }, 'reporting'],
  ];
  it.each(cases)('%s → %s', (_name, c, expected) => {
    expect(pointStatus({ isTelemetryActive: c.active, frequency: c.frequency, lastReadingAt: c.last, now: NOW })).toBe(expected);
  });
});
