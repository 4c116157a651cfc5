import { describe, expect, it } from 'vitest';
import { ThroughputWindow } from './throughput.js';

describe('ThroughputWindow', () => {
  it('sums the batches of a window and rates readings over its length', () => {
    const w = new ThroughputWindow(0);
    w.add({ readings: 100, stored: 90, deadLetters: 2 });
    w.add({ readings: 200, stored: 200, deadLetters: 0 });
    expect(w.roll(30_000)).toEqual({ readings: 300, stored: 290, deadLetters: 2, per_second: 10 });
  });

  it('starts a new window after each summary, and has none for a window without readings', () => {
    const w = new ThroughputWindow(0);
    w.add({ readings: 60, stored: 60, deadLetters: 0 });
    w.roll(30_000);
    expect(w.roll(60_000)).toBeNull();
    w.add({ readings: 30, stored: 30, deadLetters: 0 });
    expect(w.roll(75_000)).toEqual({ readings: 30, stored: 30, deadLetters: 0, per_second: 2 });
  });
});
