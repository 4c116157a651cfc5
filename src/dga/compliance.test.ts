import { describe, expect, it } from 'vitest';
import { complianceCsv, emptyCounts, owedSlots, pointCompliance, type SlotRecord } from './compliance.js';
import { HOUR_MS } from '../lib/time.js';

const TZ = 'Etc/GMT+4';
const d = (iso: string) => new Date(iso);

describe('owedSlots', () => {
  it('MAYOR: hours in [from, to), not before the start date, not after now', () => {
    const slots = owedSlots('MAYOR', { from: d('2026-06-01T00:30:00Z'), to: d('2026-06-01T06:00:00Z'), startDate: d('2026-06-01T02:00:00Z'), now: d('2026-06-01T04:59:00Z'), tz: TZ });
    expect(slots.map((s) => s.toISOString())).toEqual(['2026-06-01T02:00:00.000Z', '2026-06-01T03:00:00.000Z', '2026-06-01T04:00:00.000Z']);
  });

  it('MEDIO and MENOR: local midnights (UTC−4)', () => {
    const p = { from: d('2026-05-30T00:00:00Z'), to: d('2026-06-02T12:00:00Z'), startDate: d('2026-01-01T00:00:00Z'), now: d('2026-12-01T00:00:00Z'), tz: TZ };
    expect(owedSlots('MEDIO', p).map((s) => s.toISOString())).toEqual([
      '2026-05-30T04:00:00.000Z', '2026-05-31T04:00:00.000Z', '2026-06-01T04:00:00.000Z', '2026-06-02T04:00:00.000Z',
    ]);
    expect(owedSlots('MENOR', p).map((s) => s.toISOString())).toEqual(['2026-06-01T04:00:00.000Z']);
  });
});

describe('pointCompliance', () => {
  const base = { standard: 'MAYOR' as const, startDate: d('2026-01-01T00:00:00Z'), from: d('2026-06-01T10:00:00Z'), to: d('2026-06-01T16:00:00Z'), tz: TZ };
  const rec = (slot: string, status: SlotRecord['status'], sentAfterMs?: number): SlotRecord => ({
    slot_at: d(slot),
    status,
    sent_at: sentAfterMs === undefined ? null : new Date(d(slot).getTime() + sentAfterMs),
  });

  it('puts each owed slot in one bucket; on time means a receipt within 1 h for MAYOR', () => {
    const c = pointCompliance({
      ...base,
      now: d('2026-06-01T15:30:00Z'),
      submissions: [
        rec('2026-06-01T10:00:00Z', 'sent', HOUR_MS),
        rec('2026-06-01T11:00:00Z', 'sent', HOUR_MS + 1),
        rec('2026-06-01T12:00:00Z', 'needs_attention'),
        rec('2026-06-01T13:00:00Z', 'sending'),
        rec('2026-06-01T09:00:00Z', 'sent', 0), // outside the period
      ],
    });
    // 14:00 has no row and its hour is over: missing; 15:00 has no row but is still within its hour: pending.
    expect(c).toEqual({ due: 6, sent_on_time: 1, sent_late: 1, pending: 2, failed: 0, needs_attention: 1, missing: 1 });
  });

  it('owes nothing for an empty period', () => {
    expect(pointCompliance({ ...base, from: base.to, now: d('2027-01-01T00:00:00Z'), submissions: [] })).toEqual(emptyCounts());
  });
});

describe('complianceCsv', () => {
  it('quotes separators and neutralises formulas in names', () => {
    const counts = { ...emptyCounts(), due: 1, missing: 1, on_time_pct: 0 };
    const csv = complianceCsv({
      points: [{ ...counts, point_id: 1, point_title: 'Pozo "Norte", 2', client_id: 3, client_name: '=HYPERLINK("x")', codigo_obra: 'OB-0101-1', standard: 'MAYOR', receipted_with_superseded_data: 0 }],
      clients: [],
      totals: counts,
    });
    const lines = csv.split('\r\n');
    expect(lines[1]).toBe(`point,3,"'=HYPERLINK(""x"")",1,"Pozo ""Norte"", 2",OB-0101-1,MAYOR,1,0,0,0,0,0,1,0`);
    expect(lines[2]).toBe('total,,,,,,,1,0,0,0,0,0,1,0');
  });
});
