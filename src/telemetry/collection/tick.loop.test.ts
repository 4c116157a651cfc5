import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FixedClock } from '../../lib/clock.js';
import { MINUTE_MS, SECOND_MS } from '../../lib/time.js';
import type { CollectionStats } from './collection.service.js';
import { TickLoop, type TickClaims, type TickCollection } from './tick.loop.js';

const EMPTY: CollectionStats = { points: 0, ok: 0, no_data: 0, failed: 0, readings: 0, by_provider: {} };

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
  refuse = new Set<number>();
  async claim(frequency: number, at: Date): Promise<boolean> {
    const key = `${frequency}@${at.toISOString()}`;
    if (this.refuse.has(frequency) || this.claimed.includes(key)) return false;
    this.claimed.push(key);
    return true;
  }
  async finish(frequency: number, at: Date): Promise<void> {
    this.finished.push(`${frequency}@${at.toISOString()}`);
  }
}

class RecordingCollection implements TickCollection {
  readonly frequencies: number[] = [];
  readonly catchUps: (readonly number[])[] = [];
  readonly signals: AbortSignal[] = [];
  /** While set, collections of that frequency wait for the gate. */
  readonly holds = new Map<number, Promise<void>>();
  async collectFrequency(frequency: number, signal?: AbortSignal): Promise<CollectionStats> {
    this.frequencies.push(frequency);
    if (signal) this.signals.push(signal);
    await this.holds.get(frequency);
    return EMPTY;
  }
  async collectLagging(frequencies: readonly number[]): Promise<CollectionStats> {
    this.catchUps.push(frequencies);
    return EMPTY;
  }
}

const loops: TickLoop[] = [];
function setup(at = '2026-11-30T10:00:30Z') {
  const clock = new FixedClock(new Date(at));
  const claims = new MemoryClaims();
  const collection = new RecordingCollection();
  const loop = new TickLoop({ collection, claims, clock, logger: pino({ level: 'silent' }), owner: 'test', loopMs: 5 * SECOND_MS });
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
    claims.refuse = new Set([5, 10, 60]);
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

  it('at start, catches up only the frequencies whose current tick this process did not claim', async () => {
    const { claims, collection, loop } = setup();
    claims.refuse = new Set([5, 60]);
    await loop.start();
    await loop.idle();
    expect(collection.catchUps).toEqual([[5, 60]]);
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
