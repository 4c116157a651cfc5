import { describe, expect, it } from 'vitest';
import type { Db } from '../../infra/db/index.js';
import { MemoryCache } from '../../infra/cache/memory.js';
import { LatestValuesService } from './latest.service.js';

describe('latest values after a write', () => {
  it('invalidates the shard when it cannot be reloaded, so no reader keeps the old values', async () => {
    const cache = new MemoryCache();
    const failing = { query: async () => Promise.reject(new Error('connection lost')) } as unknown as Db;
    const latest = new LatestValuesService({ db: failing, cache });
    const before = await cache.generation('latest-values:0');
    await latest.onWritten([7]);
    expect(await cache.generation('latest-values:0')).not.toBe(before);
    expect(await cache.generation('latest-values:1')).toBe('0'); // other shards untouched
  });
});
