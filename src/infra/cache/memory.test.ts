import { describe, expect, it } from 'vitest';
import { cached } from './cache.js';
import { MemoryCache } from './memory.js';

/** What the in-process cache does beyond the cache contract (test/contracts/cache.contract.ts). */
describe('memory cache', () => {
  it('stays within maxEntries, evicting the least recently used', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cached(cache, 'ns', 'a', 300, async () => 'a');
    await cached(cache, 'ns', 'b', 300, async () => 'b');
    await cached(cache, 'ns', 'a', 300, async () => 'a2'); // touch a
    await cached(cache, 'ns', 'c', 300, async () => 'c');
    expect(await cached(cache, 'ns', 'a', 300, async () => 'a3')).toBe('a');
    expect(await cached(cache, 'ns', 'b', 300, async () => 'b2')).toBe('b2');
  });

  it('expires an entry exactly at its TTL on the injected clock', async () => {
    let now = 0;
    const cache = new MemoryCache({ now: () => now });
    let loads = 0;
    await cached(cache, 'ns', 'k', 300, async () => `v${++loads}`);
    now = 299_000;
    expect(await cached(cache, 'ns', 'k', 300, async () => `v${++loads}`)).toBe('v1');
    now = 300_001;
    expect(await cached(cache, 'ns', 'k', 300, async () => `v${++loads}`)).toBe('v2');
  });
});
