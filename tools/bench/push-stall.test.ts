import { describe, expect, it } from 'vitest';
import { untilStored } from './push.js';

describe('waiting for pushed readings to be stored', () => {
  it('returns once every reading is stored', async () => {
    let n = 0;
    await untilStored(async () => (n += 40), 100, { progress: () => undefined, whenStalled: 'never', pollMs: 1 });
    expect(n).toBeGreaterThanOrEqual(100);
  });

  it('fails with where it stopped and what to check once nothing more is stored for the stall time', async () => {
    let n = 0;
    const count = async () => (n = Math.min(n + 10, 30)); // stops at 30 of 100
    await expect(untilStored(count, 100, { progress: () => undefined, whenStalled: 'raise max_queued_messages', stallMs: 50, pollMs: 5 })).rejects.toThrow(
      /^30 of 100 pushed readings stored, none for 0\.05 s: raise max_queued_messages$/,
    );
  });
});
