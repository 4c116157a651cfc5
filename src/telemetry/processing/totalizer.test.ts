import { describe, expect, it } from 'vitest';
import { advanceTotalizer, counterVolume, emptyTotalizerState, isPulseChannel } from './totalizer.js';
import type { TotalizerState, VariableConfig } from './types.js';

const T0 = Date.UTC(2026, 5, 11, 12, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const limits = { maxM3PerHour: 500, resetToleranceM3: 0.01 };

/** Feeds m³ readings (channel = m³) through advanceTotalizer, like the processor does. */
function run(readings: [minutes: number, m3: number][], state: TotalizerState = emptyTotalizerState()) {
  const steps = [];
  for (const [minutes, m3] of readings) {
    const step = advanceTotalizer(state, { channel: m3, m3, ts: at(minutes) }, limits);
    steps.push(step);
    state = step.state;
  }
  return { steps, state };
}

describe('counterVolume', () => {
  const pulses: VariableConfig = { kind: 'pulses', channel: 'pulsos', processing: { pulses_factor: 10 } };

  it('turns pulses into m³ with the litres-per-pulse factor', () => {
    expect(counterVolume(123_456, pulses)).toEqual({
      ok: true,
      m3: 1234.56,
      flags: [],
      applied: { pulses_factor: 10, conversion: 'pulses×factor/1000→m3' },
    });
  });

  it('treats a totalizer whose unit is pulses as pulses', () => {
    const config: VariableConfig = { kind: 'totalizer', unit: 'pulses', channel: 'c', processing: { pulses_factor: 100 } };
    expect(isPulseChannel(config)).toBe(true);
    expect(counterVolume(5, config)).toMatchObject({ ok: true, m3: 0.5 });
  });

  it('refuses to guess a missing pulses factor', () => {
    expect(counterVolume(100, { kind: 'pulses', channel: 'p' })).toEqual({ ok: false, flag: 'missing_pulses_factor' });
    expect(counterVolume(100, { kind: 'pulses', channel: 'p', processing: { pulses_factor: 0 } }).ok).toBe(false);
  });

  it('reads m³ and litre totalizers', () => {
    expect(counterVolume(1010, { kind: 'totalizer', unit: 'm3', channel: 't' })).toMatchObject({ m3: 1010, flags: [] });
    expect(counterVolume(1010, { kind: 'totalizer', channel: 't' })).toMatchObject({ m3: 1010, flags: [] });
    expect(counterVolume(1_010_000, { kind: 'totalizer', unit: 'L', channel: 't' })).toMatchObject({ m3: 1010 });
    expect(counterVolume(1, { kind: 'totalizer', unit: 'gal', channel: 't' })).toMatchObject({ flags: ['unknown_unit'] });
  });
});

describe('advanceTotalizer', () => {
  it('starts from the state offset and remembers the reading', () => {
    const { steps, state } = run([[0, 100]], emptyTotalizerState(5000));
    expect(steps[0]?.value).toBe(5100);
    expect(state).toEqual({ offset: 5000, lastRaw: 100, lastValue: 5100, lastTs: at(0), preSpike: null, resets: [] });
  });

  it('turns a drop into a reset that keeps the series continuous', () => {
    const { steps, state } = run([
      [0, 1000],
      [15, 1010],
      [30, 4],
      [45, 14],
    ]);
    expect(steps.map((s) => s.value)).toEqual([1000, 1010, 1014, 1024]);
    expect(steps[2]?.flags).toEqual(['counter_reset']);
    expect(steps[2]?.reset).toEqual({
      ts: at(30),
      previousRaw: 1010,
      newRaw: 4,
      lostVolume: 1010,
      offsetBefore: 0,
      offsetAfter: 1010,
    });
    expect(steps[3]?.flags).toEqual([]);
    expect(state.offset).toBe(1010);
  });

  it('accumulates the offset over several resets', () => {
    const { steps, state } = run([
      [0, 50],
      [10, 2],
      [20, 30],
      [30, 1],
    ]);
    expect(steps.map((s) => s.value)).toEqual([50, 52, 80, 81]);
    expect(state.offset).toBe(80);
  });

  it('treats a drop within tolerance as jitter, not a reset', () => {
    const { steps, state } = run([
      [0, 1000],
      [15, 999.995],
      [30, 1001],
    ]);
    expect(steps[1]).toMatchObject({ value: 999.995, flags: ['counter_decrease'] });
    expect(steps[1]?.reset).toBeUndefined();
    expect(steps[2]).toMatchObject({ value: 1001, flags: [] });
    expect(state.offset).toBe(0);
  });

  it('does not move on a zero after a positive counter; the next drop is the reset', () => {
    const { steps, state } = run([
      [0, 1000],
      [15, 0],
      [30, 0],
      [45, 3],
    ]);
    expect(steps[1]).toMatchObject({ value: null, flags: ['zero_after_positive'] });
    expect(steps[1]?.state).toBe(steps[0]?.state);
    expect(steps[2]?.flags).toEqual(['zero_after_positive']);
    expect(steps[3]).toMatchObject({ value: 1003, flags: ['counter_reset'] });
    expect(state.offset).toBe(1000);
  });

  it('accepts zero as a first reading and zeros of a counter still at zero', () => {
    const { steps } = run([
      [0, 0],
      [15, 0],
    ]);
    expect(steps.map((s) => [s.value, s.flags])).toEqual([
      [0, []],
      [0, []],
    ]);
  });

  it('reverts a glitch spike when the counter comes back instead of inventing a reset', () => {
    const { steps, state } = run([
      [0, 1000],
      [5, 4_294_967.295], // 0xFFFFFFFF pulses × 1 L
      [10, 1001],
      [15, 1002],
    ]);
    expect(steps[1]?.flags).toEqual(['spike']);
    expect(steps[2]).toMatchObject({ value: 1001, flags: ['spike_reverted'] });
    expect(steps[2]?.reset).toBeUndefined();
    expect(steps[3]).toMatchObject({ value: 1002, flags: [] });
    expect(state.offset).toBe(0);
  });

  it('keeps a spike that the counter confirms', () => {
    const { steps } = run([
      [0, 1000],
      [15, 1300],
      [30, 1310],
      [45, 1002], // back near the level before the spike, but that level no longer counts: a reset
    ]);
    expect(steps[1]?.flags).toEqual(['spike']);
    expect(steps[2]?.flags).toEqual([]);
    expect(steps[3]?.flags).toContain('counter_reset');
    expect(steps[3]?.value).toBe(2312);
  });

  it('checks the volume counted since a reset against the spike threshold', () => {
    const { steps } = run([
      [0, 1000],
      [15, 2],
      [30, 400], // 398 m³ in 15 min
    ]);
    expect(steps[1]?.flags).toEqual(['counter_reset']);
    expect(run([[0, 1000], [15, 300]]).steps[1]?.flags).toEqual(['counter_reset', 'spike']);
    expect(steps[2]).toMatchObject({ value: 1400, flags: ['spike'] });
  });

  it('never mutates the state it is given', () => {
    const state = Object.freeze({ offset: 10, lastRaw: 100, lastValue: 110, lastTs: at(0), preSpike: null });
    const step = advanceTotalizer(state, { channel: 5, m3: 5, ts: at(10) }, limits);
    expect(step.state.offset).toBe(110);
    expect(state).toEqual({ offset: 10, lastRaw: 100, lastValue: 110, lastTs: at(0), preSpike: null });
  });
});

describe('late readings', () => {
  // 16:00 5,000 m³ · 17:00 100 m³ (a reset, offset 5,000); later a reading at 16:30 of 5,020 m³.
  const h16 = at(4 * 60);
  const h1630 = at(4 * 60 + 30);
  const h17 = at(5 * 60);
  const wide = { maxM3PerHour: 100_000, resetToleranceM3: 0.01 };
  const afterBatch1 = () => {
    const first = advanceTotalizer(emptyTotalizerState(), { channel: 5000, m3: 5000, ts: h16 }, wide);
    const reset = advanceTotalizer(first.state, { channel: 100, m3: 100, ts: h17 }, wide);
    expect(reset.value).toBe(5100);
    return reset.state;
  };

  it('take the offset in force at their own time and move the offset of the following reset (16:30 5,020 → 5,020; 17:00 → 5,120)', () => {
    const state = afterBatch1();
    const late = advanceTotalizer(state, { channel: 5020, m3: 5020, ts: h1630 }, wide);
    expect(late.value).toBe(5020);
    expect(late.flags).toEqual(['out_of_order']);
    expect(late.moved).toEqual({ resetTs: h17, previousRaw: 5020, delta: 20 });
    expect(late.state).toMatchObject({ offset: 5020, lastRaw: 100, lastValue: 5120, lastTs: h17 });
    expect(late.state.resets).toEqual([{ ts: h17, previousTs: h1630, previousRaw: 5020, newRaw: 100, offsetBefore: 0, offsetAfter: 5020 }]);
    // Delivered again: same value, nothing moves twice.
    const again = advanceTotalizer(late.state, { channel: 5020, m3: 5020, ts: h1630 }, wide);
    expect(again).toMatchObject({ value: 5020 });
    expect(again.moved).toBeUndefined();
    // The next reading continues from the moved offset.
    expect(advanceTotalizer(late.state, { channel: 160, m3: 160, ts: at(6 * 60) }, wide).value).toBe(5180);
  });

  it('before the last reading ahead of the reset, or below it, move nothing', () => {
    const state = afterBatch1();
    const earlier = advanceTotalizer(state, { channel: 4990, m3: 4990, ts: at(3 * 60) }, wide);
    expect(earlier).toMatchObject({ value: 4990, state });
    expect(earlier.moved).toBeUndefined();
    // Between the last reading and the reset but far below the counter: it had already restarted.
    expect(advanceTotalizer(state, { channel: 40, m3: 40, ts: h1630 }, wide)).toMatchObject({ value: 5040, state });
  });
});

describe('suspect drops (a truncated reading)', () => {
  // Factor 10 L/pulse: 917,550 pulses = 9,175.5 m³; 91,755 pulses (a digit missing) = 917.55 m³.
  const pulses = (n: number) => n / 100;
  const step = (state: TotalizerState, hour: number, n: number) =>
    advanceTotalizer(state, { channel: n, m3: pulses(n), ts: at(hour * 60) }, limits);

  it('holds 10:00 917,550 · 11:00 91,755 · 12:00 917,600 · 13:00 917,700 as a glitch: 9,175.5 · none · 9,176 · 9,177', () => {
    const s10 = step(emptyTotalizerState(), 0, 917_550);
    const s11 = step(s10.state, 1, 91_755);
    expect(s11).toMatchObject({ value: null, flags: ['suspect_drop'] });
    expect(s11.reset).toBeUndefined();
    expect(s11.state).toMatchObject({ offset: 0, lastRaw: 9175.5, suspect: { raw: 917.55, ts: at(60) } });
    // Delivered again, it is still only suspect.
    expect(step(s11.state, 1, 91_755)).toMatchObject({ value: null, flags: ['suspect_drop'] });
    const s12 = step(s11.state, 2, 917_600);
    expect(s12).toMatchObject({ value: 9176, flags: [] });
    expect(s12.confirmed).toBeUndefined();
    expect(s12.state.suspect).toBeNull();
    const s13 = step(s12.state, 3, 917_700);
    expect(s13).toMatchObject({ value: 9177, flags: [] });
    expect(s13.state.offset).toBe(0);
  });

  it('becomes a reset from the suspect reading on when the next reading continues from the low value', () => {
    const s10 = step(emptyTotalizerState(), 0, 917_550);
    const s11 = step(s10.state, 1, 91_755);
    const s12 = step(s11.state, 2, 91_800);
    expect(s12.confirmed).toEqual({ ts: at(60), value: 9175.5 + 917.55, meter: 917.55 });
    expect(s12.reset).toMatchObject({ ts: at(60), previousRaw: 9175.5, newRaw: 917.55, offsetAfter: 9175.5 });
    expect(s12).toMatchObject({ value: 9175.5 + 918, flags: [] });
    expect(s12.state).toMatchObject({ offset: 9175.5, lastRaw: 918, suspect: null });
  });

  it('is not a drop a restarted counter can explain, nor one after a gap of more than 2 h', () => {
    // 5,000 → 100 m³ in an hour: the counter restarted and counted 100 m³, a reset at once.
    expect(advanceTotalizer(run([[0, 5000]]).state, { channel: 100, m3: 100, ts: at(60) }, limits).flags).toEqual(['counter_reset']);
    expect(step(step(emptyTotalizerState(), 0, 917_550).state, 3, 91_755).flags).toEqual(['counter_reset', 'after_gap']);
  });
});
