import { describe, expect, it } from 'vitest';
import { calendarCounter, complianceCsv, countOwedSlots, emptyCounts, ON_TIME_GRACE_MS, owedSlots, pointCompliance, type SlotRecord } from './compliance.js';
import { DAY_MS, HOUR_MS } from '../lib/time.js';

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

/** The definition, slot by slot: what pointCompliance must count without walking every slot. */
function complianceBySlot(input: Parameters<typeof pointCompliance>[0]) {
  const grace = ON_TIME_GRACE_MS[input.standard];
  const bySlot = new Map(input.submissions.map((s) => [s.slot_at.getTime(), s]));
  const c = emptyCounts();
  for (const slot of owedSlots(input.standard, { ...input, limit: Number.MAX_SAFE_INTEGER })) {
    c.due++;
    const s = bySlot.get(slot.getTime());
    if (!s) {
      if (input.now.getTime() < slot.getTime() + grace) c.pending++;
      else c.missing++;
    } else if (s.status === 'sent') {
      if (s.sent_at && s.sent_at.getTime() - slot.getTime() <= grace) c.sent_on_time++;
      else c.sent_late++;
    } else if (s.status === 'pending' || s.status === 'sending') c.pending++;
    else c[s.status]++;
  }
  return c;
}

describe('compliance counted arithmetically', () => {
  // America/Santiago changes its offset twice a year (April and September), so a year crosses both.
  const SANTIAGO = 'America/Santiago';
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const statuses: SlotRecord['status'][] = ['sent', 'sent', 'pending', 'sending', 'failed', 'needs_attention'];

  it.each(['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS'] as const)('%s: the same counts as the slot-by-slot definition, across DST changes', (standard) => {
    for (let run = 0; run < 6; run++) {
      const from = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 300 * 24) * HOUR_MS + Math.floor(random() * 3) * 17 * 60_000);
      const to = new Date(from.getTime() + Math.floor(random() * 366 * 24 + 1) * HOUR_MS);
      const now = new Date(to.getTime() - Math.floor(random() * 48) * HOUR_MS);
      const startDate = new Date(from.getTime() + Math.floor(random() * 40) * 24 * HOUR_MS - 20 * 24 * HOUR_MS);
      const slots = owedSlots(standard, { from, to, startDate, now, tz: SANTIAGO, limit: Number.MAX_SAFE_INTEGER });
      const submissions: SlotRecord[] = slots
        .filter(() => random() < 0.7)
        .map((slot) => ({ slot_at: slot, status: statuses[Math.floor(random() * statuses.length)]!, sent_at: new Date(slot.getTime() + Math.floor(random() * 3) * HOUR_MS) }));
      // Rows that are not slots of this standard (a point whose standard changed) and rows outside the period count for nothing.
      submissions.push({ slot_at: new Date(from.getTime() + 30 * 60_000), status: 'sent', sent_at: from });
      submissions.push({ slot_at: new Date(from.getTime() - DAY_MS), status: 'sent', sent_at: from });
      const input = { standard, startDate, from, to, now, tz: SANTIAGO, submissions };
      expect(pointCompliance(input)).toEqual(complianceBySlot(input));
    }
  });

  it('a year of MAYOR hours for 20 points takes a fraction of the slot-by-slot walk', () => {
    const from = new Date('2025-01-01T03:00:00Z');
    const to = new Date('2026-01-01T03:00:00Z');
    const slots = owedSlots('MAYOR', { from, to, startDate: from, now: to, tz: SANTIAGO, limit: Number.MAX_SAFE_INTEGER });
    // 8,760 hours less the repeated local hour of the April change, which owes one slot, not two.
    expect(slots.length).toBe(8759);
    const input = {
      standard: 'MAYOR' as const, startDate: from, from, to, now: new Date('2026-02-01T00:00:00Z'), tz: SANTIAGO,
      submissions: slots.filter((_, i) => i % 5).map((slot) => ({ slot_at: slot, status: 'sent' as const, sent_at: new Date(slot.getTime() + 60_000) })),
    };
    // Fastest of several runs each, so a busy machine does not decide the comparison.
    const fastest = (runs: number, fn: () => void) => {
      let best = Infinity;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        fn();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const walk = fastest(5, () => complianceBySlot(input));
    let c = emptyCounts();
    const counted = fastest(20, () => {
      c = pointCompliance(input);
    });
    expect(c).toMatchObject({ due: 8759, sent_on_time: 7007, missing: 1752 });
    // The walk itself got cheap once toLocal stopped calling Intl per instant (lib/timezone.ts): counting
    // is still several times faster (5–7× measured alone), 3× leaves room for a loaded machine.
    expect(counted).toBeLessThan(walk / 3);
  });
});

describe('calendarCounter', () => {
  it('counts owed slots of any window inside the period as countOwedSlots does, across DST changes', () => {
    const tz = 'America/Santiago';
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-12-01T00:00:00Z');
    const now = new Date('2026-11-20T12:34:00Z');
    const standards = ['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS'] as const;
    const count = calendarCounter(standards.flatMap((standard) =>
      owedSlots(standard, { from, to, startDate: from, now, tz, limit: 1e9 }).map((at) => ({ standard, at }))));
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const upper = now.getTime();
    for (let i = 0; i < 200; i++) {
      const standard = standards[i % standards.length]!;
      const startDate = new Date(from.getTime() + Math.floor(random() * (upper - from.getTime())));
      const lower = Math.max(from.getTime(), startDate.getTime());
      expect(count(standard, lower, upper), `${standard} from ${startDate.toISOString()}`).toBe(
        countOwedSlots(standard, { from, to, startDate, now, tz }),
      );
    }
    expect(count('MAYOR', upper + 1, upper)).toBe(0);
  });
});
