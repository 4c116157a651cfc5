import { describe, expect, it } from 'vitest';
import { FixedClock } from '../lib/clock.js';
import { MINUTE_MS, SECOND_MS } from '../lib/time.js';
import { DEFAULT_PIPELINE_LIMITS, judgeCollector, judgeProcessor, judgeReporter, PipelineProbe, type PipelineSources } from './pipeline.health.js';

const NOW = new Date('2026-03-01T12:00:30Z');
const limits = DEFAULT_PIPELINE_LIMITS;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('judgeProcessor', () => {
  const group = 'smarthydro-processor';
  it.each([
    { members: 1, lag: 0, earlier: undefined, ok: true },
    { members: 0, lag: 0, earlier: undefined, ok: true }, // nothing to do, nobody needed
    { members: 0, lag: 1, earlier: undefined, ok: false },
    { members: 2, lag: 50_000, earlier: { at: NOW.getTime() - MINUTE_MS, lag: 40_000 }, ok: false }, // growing past the limit
    { members: 2, lag: 50_000, earlier: { at: NOW.getTime() - MINUTE_MS, lag: 60_000 }, ok: true }, // shrinking
    { members: 2, lag: 5_000, earlier: { at: NOW.getTime() - MINUTE_MS, lag: 1_000 }, ok: true }, // growing, below the limit
    { members: 2, lag: 50_000, earlier: undefined, ok: true }, // one sample: no trend yet
  ])('members $members, lag $lag (earlier $earlier.lag) → ok $ok', ({ members, lag, earlier, ok }) => {
    const v = judgeProcessor({ group, members, lag }, earlier, NOW, limits);
    expect(v.ok).toBe(ok);
    if (!ok) expect(v.detail).toContain(String(lag));
  });
});

describe('judgeCollector', () => {
  it.each([
    { frequencies: [], ticks: [], ok: true },
    { frequencies: [1, 60], ticks: [[1, ago(30 * SECOND_MS)]], ok: true },
    { frequencies: [1, 60], ticks: [[1, ago(3 * MINUTE_MS)]], ok: true }, // exactly three periods
    { frequencies: [1, 60], ticks: [[1, ago(3 * MINUTE_MS + 1)]], ok: false },
    { frequencies: [5], ticks: [[1, ago(10 * MINUTE_MS)]], ok: false }, // the 5-minute tick was never claimed
    { frequencies: [60], ticks: [[60, ago(150 * MINUTE_MS)]], ok: true },
    { frequencies: [60], ticks: [[60, ago(181 * MINUTE_MS)]], ok: false },
  ] as { frequencies: number[]; ticks: [number, Date][]; ok: boolean }[])('frequencies $frequencies → ok $ok', ({ frequencies, ticks, ok }) => {
    expect(judgeCollector({ frequencies, lastTicks: new Map(ticks) }, NOW).ok).toBe(ok);
  });
});

describe('judgeReporter', () => {
  it.each([
    { dgaPoints: false, lastBeat: null, ok: true },
    { dgaPoints: true, lastBeat: null, ok: false },
    { dgaPoints: true, lastBeat: ago(MINUTE_MS), ok: true },
    { dgaPoints: true, lastBeat: ago(5 * MINUTE_MS + 1), ok: false },
    { dgaPoints: false, lastBeat: ago(60 * MINUTE_MS), ok: true },
  ])('DGA points $dgaPoints, last beat $lastBeat → ok $ok', ({ dgaPoints, lastBeat, ok }) => {
    expect(judgeReporter({ dgaPoints, lastBeat }, NOW, limits).ok).toBe(ok);
  });
});

describe('PipelineProbe', () => {
  function sources(clock: FixedClock, state: { lag: number; members: number }) {
    const calls = { n: 0 };
    const s: PipelineSources = {
      processorGroup: 'g',
      members: async () => (calls.n++, state.members),
      lag: async () => state.lag,
      activeFrequencies: async () => [1],
      lastTicks: async () => new Map([[1, clock.now()]]),
      anyDgaPoints: async () => false,
      lastReporterBeat: async () => null,
      clock,
    };
    return { s, calls };
  }

  it('probes at most once per cache period, shared by every check', async () => {
    const clock = new FixedClock(NOW);
    const { s, calls } = sources(clock, { lag: 0, members: 1 });
    const probe = new PipelineProbe(s);
    await Promise.all([probe.processor(), probe.collector(), probe.reporter(), probe.processor()]);
    expect(calls.n).toBe(1);
    clock.advance(4 * SECOND_MS);
    await probe.processor();
    expect(calls.n).toBe(1);
    clock.advance(2 * SECOND_MS);
    await probe.processor();
    expect(calls.n).toBe(2);
  });

  it('calls a lag growing past the limit over a window down, and a falling one up', async () => {
    const clock = new FixedClock(NOW);
    const state = { lag: 20_000, members: 2 };
    const probe = new PipelineProbe(sources(clock, state).s);
    expect((await probe.processor()).ok).toBe(true);
    clock.advance(MINUTE_MS);
    state.lag = 30_000;
    const down = await probe.processor();
    expect(down).toMatchObject({ ok: false });
    expect(down.detail).toContain('growing');
    clock.advance(MINUTE_MS);
    state.lag = 25_000;
    expect((await probe.processor()).ok).toBe(true);
  });

  it('does not keep a failed probe', async () => {
    const clock = new FixedClock(NOW);
    const { s } = sources(clock, { lag: 0, members: 1 });
    let fail = true;
    const probe = new PipelineProbe({ ...s, lag: async () => (fail ? Promise.reject(new Error('broker away')) : 0) });
    await expect(probe.processor()).rejects.toThrow('broker away');
    fail = false;
    expect((await probe.processor()).ok).toBe(true);
  });
});
