import { describe, expect, it } from 'vitest';
import { MemoryCounters } from '../infra/counters/memory.js';
import { LoginLockout, lockoutMs } from './login-lockout.js';

describe('login lockout', () => {
  it.each([
    [1, 0],
    [4, 0],
    [5, 30_000],
    [6, 60_000],
    [7, 120_000],
    [11, 1_920_000],
    [12, 3_600_000],
    [40, 3_600_000],
  ])('after %i failures in a row the account is locked for %i ms', (failures, ms) => {
    expect(lockoutMs(failures)).toBe(ms);
  });

  it('locks after the fifth failure, grows with each failure after a lockout, and forgets on success', async () => {
    let now = 0;
    const lockout = new LoginLockout(new MemoryCounters(() => now));
    for (let i = 0; i < 4; i++) expect(await lockout.failed('a@x.cl')).toBe(0);
    expect(await lockout.lockedFor('a@x.cl')).toBe(0);
    expect(await lockout.failed('a@x.cl')).toBe(30_000);
    now += 10_000;
    expect(await lockout.lockedFor('a@x.cl')).toBe(20_000);
    expect(await lockout.lockedFor('b@x.cl')).toBe(0);
    now += 20_000;
    expect(await lockout.lockedFor('a@x.cl')).toBe(0);
    expect(await lockout.failed('a@x.cl')).toBe(60_000);
    now += 60_000;
    expect(await lockout.failed('a@x.cl')).toBe(120_000);
    now += 120_000;
    await lockout.succeeded('a@x.cl');
    expect(await lockout.failed('a@x.cl')).toBe(0);
  });
});
