import { describe, expect, it } from 'vitest';
import { alignRange, bucketCount, chooseBucket } from './buckets.js';
import { DAY_MS } from '../../lib/time.js';

const at = (iso: string) => new Date(iso);

describe('series buckets', () => {
  it('auto picks the finest bucket that keeps the answer at or under 2,000 points', () => {
    const to = at('2025-06-01T00:00:00Z');
    const span = (ms: number) => chooseBucket(new Date(to.getTime() - ms), to);
    expect(span(3_600_000)).toBe('1m');
    expect(span(DAY_MS)).toBe('1m'); // 1,440
    expect(span(2 * DAY_MS)).toBe('5m'); // 2,880 minutes → 576 five-minute buckets
    expect(span(7 * DAY_MS)).toBe('1h'); // 2,016 five-minute buckets would be too many
    expect(span(83 * DAY_MS)).toBe('1h'); // 1,992
    expect(span(84 * DAY_MS)).toBe('2h');
    expect(span(365 * DAY_MS)).toBe('6h'); // 1,460
    expect(span(3 * 365 * DAY_MS)).toBe('1d');
    expect(span(20 * 365 * DAY_MS)).toBe('7d');
  });

  it('never answers a year with more than 2,000 buckets, whatever the alignment', () => {
    for (let offset = 0; offset < DAY_MS; offset += 3_600_000 + 7 * 60_000) {
      const from = new Date(Date.UTC(2024, 0, 1) + offset);
      const to = new Date(from.getTime() + 365 * DAY_MS);
      const b = chooseBucket(from, to);
      expect(bucketCount(from, to, b)).toBeLessThanOrEqual(2000);
    }
  });

  it('widens the range to the whole buckets overlapping [from, to), to exclusive', () => {
    const { start, end } = alignRange(at('2025-03-10T10:15:00Z'), at('2025-03-10T12:00:00Z'), '1h');
    expect(start.toISOString()).toBe('2025-03-10T10:00:00.000Z');
    expect(end.toISOString()).toBe('2025-03-10T12:00:00.000Z');
    expect(bucketCount(at('2025-03-10T10:15:00Z'), at('2025-03-10T12:00:00Z'), '1h')).toBe(2);
    expect(bucketCount(at('2025-03-10T10:15:00Z'), at('2025-03-10T12:00:01Z'), '1h')).toBe(3);
  });

  it('aligns hours and days on UTC and weeks on Mondays', () => {
    expect(alignRange(at('2025-03-12T13:00:00Z'), at('2025-03-12T14:00:00Z'), '6h').start.toISOString()).toBe('2025-03-12T12:00:00.000Z');
    expect(alignRange(at('2025-03-12T13:00:00Z'), at('2025-03-12T14:00:00Z'), '1d').start.toISOString()).toBe('2025-03-12T00:00:00.000Z');
    // 2025-03-12 is a Wednesday; its week starts on Monday 2025-03-10.
    expect(alignRange(at('2025-03-12T13:00:00Z'), at('2025-03-12T14:00:00Z'), '7d').start.toISOString()).toBe('2025-03-10T00:00:00.000Z');
  });
});
