import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../infra/logger.js';
import { ReporterLoop, type Tickable } from './reporter.loop.js';

const logger = createLogger('silent');

/** A reporter whose ticks answer from a script; records when each tick started. */
function scripted(results: (boolean | Error)[]): Tickable & { startedAt: number[]; stopped: boolean } {
  const r = {
    startedAt: [] as number[],
    stopped: false,
    async tick() {
      r.startedAt.push(Date.now());
      const next = results.shift() ?? false;
      if (next instanceof Error) throw next;
      return { more: next };
    },
    stop() {
      r.stopped = true;
    },
  };
  return r;
}

describe('ReporterLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks at once, again at once while rows are left, then every interval', async () => {
    const reporter = scripted([true, true, false, false]);
    const loop = new ReporterLoop({ reporter, logger }, { intervalMs: 20_000 });
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(reporter.startedAt).toHaveLength(3);
    const third = reporter.startedAt[2]!;
    expect(third).toBeLessThan(10);
    await vi.advanceTimersByTimeAsync(third + 20_000 - 1 - 10);
    expect(reporter.startedAt).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(reporter.startedAt).toEqual([...reporter.startedAt.slice(0, 3), third + 20_000]);
    await loop.stop();
  });

  it('keeps going after a failing tick', async () => {
    const reporter = scripted([new Error('database gone'), false]);
    const loop = new ReporterLoop({ reporter, logger }, { intervalMs: 1_000 });
    loop.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reporter.startedAt).toEqual([0, 1_000]);
    await loop.stop();
  });

  it('stop ends the loop, stops the reporter and waits for the tick in flight', async () => {
    let finish!: () => void;
    let finished = false;
    const reporter: Tickable & { stopped: boolean; ticks: number } = {
      stopped: false,
      ticks: 0,
      tick: () => {
        reporter.ticks++;
        return new Promise((resolve) => {
          finish = () => {
            finished = true;
            resolve({ more: true });
          };
        });
      },
      stop: () => {
        reporter.stopped = true;
      },
    };
    const loop = new ReporterLoop({ reporter, logger }, { intervalMs: 1_000 });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopping = loop.stop();
    expect(reporter.stopped).toBe(true);
    setTimeout(() => finish(), 500);
    await vi.advanceTimersByTimeAsync(500);
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reporter.ticks).toBe(1);
  });
});
