import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FixedClock } from '../../lib/clock.js';
import { MINUTE_MS, SECOND_MS } from '../../lib/time.js';
import type { CollectionStats } from './collection.service.js';
import { TickLoop, type TickClaims, type TickCollection } from './tick.loop.js';
import type { TickState } from './tick.repository.js';

const EMPTY: CollectionStats = { points: 0, ok: 0, no_data: 0, failed: 0, readings: 0, by_provider: {}, failed_points: [] };

/** A promise the test settles by hand: work that is "still collecting" until released. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

/** Claims the way the database does: the first claim of a (frequency, tick) wins. */
class MemoryClaims implements TickClaims {
  readonly claimed: string[] = [];
  readonly finished: string[] = [];
  readonly catchUps = new Map<string, string>();
  /** Frequencies whose current tick another collector holds: since when, whether it finished, its last heartbeat. */
  others = new Map<number, { claimedAt: Date; finished: boolean; holderBeatAt: Date | null }>();
  readonly beats: string[] = [];
  async beat(owner: string, at: Date): Promise<void> {
    this.beats.push(owner);
    this.lastBeat.set(owner, at);
  }
  readonly owners = new Map<string, string>();
  readonly lastBeat = new Map<string, Date>();
  async claim(frequency: number, at: Date, owner = 'test'): Promise<boolean> {
    const key = `${frequency}@${at.toISOString()}`;
    if (this.others.has(frequency) || this.claimed.includes(key)) return false;
    this.claimed.push(key);
    this.owners.set(key, owner);
    return true;
  }
  async finish(frequency: number, at: Date): Promise<void> {
    this.finished.push(`${frequency}@${at.toISOString()}`);
  }
  async claimCatchUp(frequency: number, at: Date, owner: string, _holderStaleBefore?: Date | null): Promise<boolean> {
    const key = `${frequency}@${at.toISOString()}`;
    const holder = this.catchUps.get(key);
    if (holder !== undefined && holder !== owner) return false;
    this.catchUps.set(key, owner);
    return true;
  }
  async states(ticks: readonly { frequency: number; at: Date }[]): Promise<Map<number, TickState>> {
    const out = new Map<number, TickState>();
    for (const { frequency, at } of ticks) {
      const other = this.others.get(frequency);
      if (other) out.set(frequency, { frequency, claimedBy: 'other', ...other });
      else if (this.claimed.includes(`${frequency}@${at.toISOString()}`)) {
        const owner = this.owners.get(`${frequency}@${at.toISOString()}`)!;
        out.set(frequency, { frequency, claimedBy: owner, claimedAt: at, finished: false, holderBeatAt: this.lastBeat.get(owner) ?? null });
      }
    }
    return out;
  }
}

class RecordingCollection implements TickCollection {
  readonly frequencies: number[] = [];
  /** The `only` set of each collectFrequency call (undefined: every point). */
  readonly onlys: (number[] | undefined)[] = [];
  readonly catchUps: (readonly number[])[] = [];
  readonly signals: AbortSignal[] = [];
  /** While set, collections of that frequency wait for the gate. */
  readonly holds = new Map<number, Promise<void>>();
  /** What the next collections of a frequency do: throw, or report these points failed. */
  readonly outcomes = new Map<number, ('throw' | number[])[]>();
  catchUpHold: Promise<void> | undefined;
  async collectFrequency(frequency: number, signal?: AbortSignal, only?: ReadonlySet<number>): Promise<CollectionStats> {
    this.frequencies.push(frequency);
    this.onlys.push(only ? [...only] : undefined);
    if (signal) this.signals.push(signal);
    await this.holds.get(frequency);
    const outcome = this.outcomes.get(frequency)?.shift();
    if (outcome === 'throw') throw new Error('database unavailable');
    if (outcome) return { ...EMPTY, failed: outcome.length, failed_points: outcome };
    return EMPTY;
  }
  async collectLagging(frequencies: readonly number[]): Promise<CollectionStats> {
    this.catchUps.push(frequencies);
    await this.catchUpHold;
    return EMPTY;
  }
}

const loops: TickLoop[] = [];
function setup(at = '2026-11-30T10:00:30Z', shared?: { clock: FixedClock; claims: MemoryClaims }, owner = 'test') {
  const clock = shared?.clock ?? new FixedClock(new Date(at));
  const claims = shared?.claims ?? new MemoryClaims();
  const collection = new RecordingCollection();
  const loop = new TickLoop({ collection, claims, clock, logger: pino({ level: 'silent' }), owner, loopMs: 5 * SECOND_MS });
  loops.push(loop);
  return { clock, claims, collection, loop };
}
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

describe('TickLoop', () => {
  it('claims each tick once, however many passes see it', async () => {
    const { clock, claims, collection, loop } = setup();
    loop.pass();
    clock.advance(10 * SECOND_MS);
    loop.pass();
    await loop.idle();
    expect(claims.claimed).toEqual([
      '1@2026-11-30T10:00:00.000Z', '5@2026-11-30T10:00:00.000Z', '10@2026-11-30T10:00:00.000Z', '60@2026-11-30T10:00:00.000Z',
    ]);
    expect(collection.frequencies).toEqual([1, 5, 10, 60]);

    clock.set(new Date('2026-11-30T10:01:00Z'));
    loop.pass();
    await loop.idle();
    expect(claims.claimed.slice(4)).toEqual(['1@2026-11-30T10:01:00.000Z']);
    expect(claims.finished).toHaveLength(5);
  });

  it('does not collect a tick another process claimed', async () => {
    const { claims, collection, loop } = setup();
    for (const f of [5, 10, 60]) claims.others.set(f, { claimedAt: new Date('2026-11-30T10:00:00Z'), finished: false, holderBeatAt: new Date('2026-11-30T10:00:25Z') });
    loop.pass();
    await loop.idle();
    expect(collection.frequencies).toEqual([1]);
    expect(claims.finished).toEqual(['1@2026-11-30T10:00:00.000Z']);
  });

  it('skips a tick while the previous tick of its frequency is still collecting', async () => {
    const { clock, claims, collection, loop } = setup();
    const slow = gate();
    collection.holds.set(1, slow.done);
    loop.pass();
    await new Promise((r) => setImmediate(r));
    clock.advance(MINUTE_MS);
    loop.pass();
    await new Promise((r) => setImmediate(r));
    expect(claims.claimed.filter((k) => k.startsWith('1@'))).toEqual(['1@2026-11-30T10:00:00.000Z']);

    slow.release();
    await loop.idle();
    // The skipped tick stays skipped; the next one is claimed again.
    loop.pass();
    await loop.idle();
    expect(claims.claimed.filter((k) => k.startsWith('1@'))).toHaveLength(1);
    clock.advance(MINUTE_MS);
    loop.pass();
    await loop.idle();
    expect(claims.claimed.filter((k) => k.startsWith('1@'))).toEqual(['1@2026-11-30T10:00:00.000Z', '1@2026-11-30T10:02:00.000Z']);
  });

  it('catches up every frequency after a pause longer than the threshold, not after a short one', async () => {
    const { clock, collection, loop } = setup();
    loop.pass();
    await loop.idle();
    clock.advance(MINUTE_MS - SECOND_MS);
    loop.pass();
    await loop.idle();
    expect(collection.catchUps).toEqual([]);

    clock.advance(MINUTE_MS + SECOND_MS);
    loop.pass();
    await loop.idle();
    expect(collection.catchUps).toEqual([[1, 5, 10, 60]]);
  });

  it('at start, catches up only the frequencies whose current tick nobody collects: not its own, not one a live collector holds', async () => {
    const { claims, collection, loop } = setup();
    // 5: held by a collector alive 5 s ago; 10: finished; 60: held by a collector silent for 30 s (died mid-tick).
    claims.others.set(5, { claimedAt: new Date('2026-11-30T10:00:00Z'), finished: false, holderBeatAt: new Date('2026-11-30T10:00:25Z') });
    claims.others.set(10, { claimedAt: new Date('2026-11-30T10:00:00Z'), finished: true, holderBeatAt: null });
    claims.others.set(60, { claimedAt: new Date('2026-11-30T10:00:00Z'), finished: false, holderBeatAt: new Date('2026-11-30T10:00:00Z') });
    await loop.start();
    await loop.idle();
    expect(collection.frequencies).toEqual([1]);
    expect(collection.catchUps).toEqual([[60]]);
    expect(claims.beats).toEqual(['test']);
  });

  it('takes over the catch-up of a tick whose collector dies after the start, not before', async () => {
    const { clock, claims, collection, loop } = setup();
    claims.others.set(60, { claimedAt: new Date('2026-11-30T10:00:00Z'), finished: false, holderBeatAt: new Date('2026-11-30T10:00:28Z') });
    await loop.start();
    await loop.idle();
    expect(collection.catchUps).toEqual([]);
    clock.advance(5 * SECOND_MS);
    await loop.pass(); // the holder is still alive (its beat is 7 s old)
    await loop.idle();
    expect(collection.catchUps).toEqual([]);
    clock.advance(20 * SECOND_MS); // now silent for 27 s
    await loop.pass();
    await loop.idle();
    expect(collection.catchUps).toEqual([[60]]);
  });

  it('two collectors starting together: each frequency is caught up by one of them at most', async () => {
    const a = setup();
    const b = setup(undefined, a, 'other-collector');
    a.claims.others.set(60, { claimedAt: new Date('2026-11-30T09:50:00Z'), finished: false, holderBeatAt: null });
    await Promise.all([a.loop.start(), b.loop.start()]);
    await Promise.all([a.loop.idle(), b.loop.idle()]);
    expect([...a.collection.catchUps, ...b.collection.catchUps].flat()).toEqual([60]);
  });

  it("a tick of a frequency being caught up is skipped, so catch-up and the collector's own tick never collect the same points at once", async () => {
    const { clock, claims, collection, loop } = setup();
    claims.others.set(1, { claimedAt: new Date('2026-11-30T09:50:00Z'), finished: false, holderBeatAt: null });
    const slow = gate();
    collection.catchUpHold = slow.done;
    await loop.start();
    await new Promise((r) => setImmediate(r));
    expect(collection.catchUps).toEqual([[1]]);
    claims.others.delete(1);
    clock.set(new Date('2026-11-30T10:01:05Z'));
    await loop.pass();
    expect(collection.frequencies.filter((f) => f === 1)).toEqual([]);
    slow.release();
    await loop.idle();
    clock.set(new Date('2026-11-30T10:02:05Z'));
    await loop.pass();
    await loop.idle();
    expect(collection.frequencies.filter((f) => f === 1)).toEqual([1]);
  });

  it('retries a failed collection after 5 s, doubling, only the failed points, until it succeeds', async () => {
    const { clock, collection, loop } = setup('2026-11-30T10:00:01Z');
    collection.outcomes.set(5, ['throw', [7, 9], [9]]);
    await loop.pass();
    await loop.idle();
    expect(collection.frequencies.filter((f) => f === 5)).toHaveLength(1);
    const fives = () => collection.onlys.filter((_, i) => collection.frequencies[i] === 5);
    clock.advance(4 * SECOND_MS);
    await loop.pass();
    await loop.idle();
    expect(fives()).toHaveLength(1); // not yet: first retry after 5 s
    clock.advance(SECOND_MS);
    await loop.pass();
    await loop.idle();
    expect(fives()).toEqual([undefined, undefined]); // it threw: every point again
    clock.advance(10 * SECOND_MS);
    await loop.pass();
    await loop.idle();
    expect(fives()).toEqual([undefined, undefined, [7, 9]]);
    clock.advance(20 * SECOND_MS);
    await loop.pass();
    await loop.idle();
    expect(fives()).toEqual([undefined, undefined, [7, 9], [9]]);
    clock.advance(200 * SECOND_MS); // succeeded: nothing more until the next tick
    await loop.pass();
    await loop.idle();
    expect(fives()).toHaveLength(4);
  });

  it('a new tick replaces a pending retry', async () => {
    const { clock, collection, loop } = setup('2026-11-30T10:00:58Z');
    collection.outcomes.set(1, ['throw']);
    await loop.pass();
    await loop.idle();
    clock.set(new Date('2026-11-30T10:01:02Z'));
    await loop.pass();
    await loop.idle();
    clock.set(new Date('2026-11-30T10:01:10Z'));
    await loop.pass();
    await loop.idle();
    expect(collection.frequencies.filter((f) => f === 1)).toHaveLength(2);
  });

  it('stop aborts the work in flight and waits for it', async () => {
    const { collection, loop } = setup();
    const slow = gate();
    collection.holds.set(60, slow.done);
    loop.pass();
    await new Promise((r) => setImmediate(r));
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    expect(collection.signals.every((s) => s.aborted)).toBe(true);

    slow.release();
    await stopping;
    expect(stopped).toBe(true);
    loop.pass();
    expect(collection.frequencies).toEqual([1, 5, 10, 60]);
  });
});
