import { describe, expect, it } from 'vitest';
import { averageFlowOver, periodsBetween, readingsOf, volumeByPeriod, wholeDays, type CounterBucket, type CounterReading } from './consumption.js';

const TZ = 'Etc/GMT+4'; // UTC−4: local midnight is 04:00Z
const r = (iso: string, value: number): CounterReading => ({ ms: Date.parse(iso), value });
const days = (from: string, to: string) => periodsBetween(new Date(from), new Date(to), 'day', TZ);

describe('consumption periods', () => {
  it('cuts local days at local midnight of DGA_TIMEZONE, widened to whole days', () => {
    const p = days('2025-03-01T10:00:00Z', '2025-03-03T05:00:00Z');
    expect(p.map((x) => x.label)).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
    expect(p[0]!.start.toISOString()).toBe('2025-03-01T04:00:00.000Z');
    expect(p[2]!.end.toISOString()).toBe('2025-03-04T04:00:00.000Z');
  });

  it('an instant before 04:00Z belongs to the previous local day', () => {
    expect(days('2025-03-01T02:00:00Z', '2025-03-01T03:00:00Z').map((x) => x.label)).toEqual(['2025-02-28']);
  });

  it('cuts local months, across the year end', () => {
    const p = periodsBetween(new Date('2024-11-15T00:00:00Z'), new Date('2025-01-10T00:00:00Z'), 'month', TZ);
    expect(p.map((x) => x.label)).toEqual(['2024-11', '2024-12', '2025-01']);
    expect(p[1]!.start.toISOString()).toBe('2024-12-01T04:00:00.000Z');
    expect(p[2]!.end.toISOString()).toBe('2025-02-01T04:00:00.000Z');
  });

  it('follows daylight saving in a zone that has it (America/Santiago)', () => {
    // Chile went from UTC−3 to UTC−4 at midnight ending Saturday 2025-04-05 (clocks back to 23:00): that day has 25 hours.
    const p = periodsBetween(new Date('2025-04-05T12:00:00Z'), new Date('2025-04-07T12:00:00Z'), 'day', 'America/Santiago');
    const lengths = p.map((x) => (x.end.getTime() - x.start.getTime()) / 3_600_000);
    expect(p.map((x) => x.label)).toEqual(['2025-04-05', '2025-04-06', '2025-04-07']);
    expect(lengths).toEqual([25, 24, 24]);
  });
});

describe('volume per period', () => {
  const two = days('2025-03-01T04:00:00Z', '2025-03-03T04:00:00Z');

  it('is the rise from the last reading before the period to the last reading in it; periods add up', () => {
    const v = volumeByPeriod(
      [r('2025-03-01T03:00:00Z', 100), r('2025-03-01T12:00:00Z', 110), r('2025-03-02T03:59:00Z', 130), r('2025-03-02T05:00:00Z', 131), r('2025-03-03T03:00:00Z', 150)],
      two,
    );
    expect(v.map((x) => x.volume_m3)).toEqual([30, 20]);
    expect(v[0]!.measured_from?.toISOString()).toBe('2025-03-01T03:00:00.000Z');
    expect(v[1]!.measured_from?.toISOString()).toBe('2025-03-02T03:59:00.000Z');
  });

  it('counts a counter restart (a drop) as the new reading, the volume counted since zero', () => {
    const v = volumeByPeriod([r('2025-03-01T05:00:00Z', 9000), r('2025-03-01T06:00:00Z', 9010), r('2025-03-01T07:00:00Z', 4), r('2025-03-01T08:00:00Z', 14)], two);
    expect(v[0]!.volume_m3).toBe(24);
    expect(v[0]!.resets).toBe(1);
  });

  it('ignores a drop within the tolerance (jitter) without counting the recovery twice', () => {
    const v = volumeByPeriod([r('2025-03-01T05:00:00Z', 100), r('2025-03-01T05:10:00Z', 99.995), r('2025-03-01T05:20:00Z', 100.5)], two);
    expect(v[0]!.volume_m3).toBe(0.5);
    expect(v[0]!.resets).toBe(0);
  });

  it('leaves out a glitch (an implausible rise the next reading falls back from)', () => {
    const v = volumeByPeriod([r('2025-03-01T05:00:00Z', 1000), r('2025-03-01T05:05:00Z', 4294967295), r('2025-03-01T05:10:00Z', 1001)], two);
    expect(v[0]!.volume_m3).toBe(1);
    expect(v[0]!.spikes_ignored).toBe(1);
    expect(v[0]!.resets).toBe(0);
  });

  it('counts an implausible rise the series then carries on from, as the totalizer does', () => {
    const v = volumeByPeriod([r('2025-03-01T05:00:00Z', 1000), r('2025-03-01T05:05:00Z', 50000), r('2025-03-01T05:10:00Z', 50002)], two);
    expect(v[0]!.volume_m3).toBe(49002);
    expect(v[0]!.spikes_ignored).toBe(0);
  });

  it('accepts a large rise after a gap of more than 2 hours (a backlog, not a spike)', () => {
    const v = volumeByPeriod([r('2025-03-01T05:00:00Z', 1000), r('2025-03-01T10:00:00Z', 4000)], two);
    expect(v[0]!.volume_m3).toBe(3000);
  });

  it('gives no volume to a period without readings; the next one measures from the last reading', () => {
    const three = days('2025-03-01T04:00:00Z', '2025-03-04T04:00:00Z');
    const v = volumeByPeriod([r('2025-03-01T05:00:00Z', 10), r('2025-03-01T20:00:00Z', 20), r('2025-03-03T20:00:00Z', 50)], three);
    expect(v.map((x) => x.volume_m3)).toEqual([10, null, 30]);
    expect(v[2]!.measured_from?.toISOString()).toBe('2025-03-01T20:00:00.000Z');
  });

  it('takes the first and (when later) the last reading of each bucket', () => {
    const t = Date.parse;
    expect(
      readingsOf([
        { ms: t('2025-03-01T05:00:00Z'), first_ms: t('2025-03-01T05:00:00Z'), first_value: 1, last_ms: t('2025-03-01T05:59:00Z'), last_value: 2, min: 1, max: 2 },
        { ms: t('2025-03-01T06:00:00Z'), first_ms: t('2025-03-01T06:10:00Z'), first_value: 3, last_ms: t('2025-03-01T06:10:00Z'), last_value: 3, min: 3, max: 3 },
      ]).map((x) => x.value),
    ).toEqual([1, 2, 3]);
  });

  it('average flow is Δm³ over Δt between the readings, in L/s', () => {
    expect(averageFlowOver(36, new Date('2025-03-01T00:00:00Z'), new Date('2025-03-01T01:00:00Z'))).toBe(10);
    expect(averageFlowOver(null, null, null)).toBeNull();
  });
});

describe('whole days', () => {
  const day = (iso: string, first: number, last: number, min = first, max = last): CounterBucket => {
    const ms = Date.parse(iso);
    return { ms, first_ms: ms, first_value: first, last_ms: ms + 86_340_000, last_value: last, min, max };
  };

  it('uses a daily bucket alone only when nothing in it needs the hours', () => {
    const days = [
      day('2025-03-01T00:00:00Z', 0, 100),
      day('2025-03-02T00:00:00Z', 100, 200),
      day('2025-03-03T00:00:00Z', 200, 150, 150, 200), // a drop inside: a reset or a reverted spike
      day('2025-03-04T00:00:00Z', 150, 250),
      day('2025-03-05T00:00:00Z', 250, 260),
      day('2025-03-06T00:00:00Z', 100, 120), // starts below the day before ended
      day('2025-03-07T00:00:00Z', 120, 130),
      day('2025-03-08T00:00:00Z', 130, 90_000), // more than the spike rule allows in a day
    ];
    const monthEdge = Date.parse('2025-03-02T04:00:00Z');
    expect(wholeDays(days, [monthEdge])).toEqual([true, false, false, true, false, false, true, false]);
  });
});
