import { describe, expect, it } from 'vitest';
import { cached } from './cache.js';
import { MemoryCache } from './memory.js';

describe('memory cache', () => {
  it('serves until invalidated, then reloads', async () => {
    const cache = new MemoryCache();
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cached(cache, 'ns', 'k', 300, load)).toBe('v1');
    expect(await cached(cache, 'ns', 'k', 300, load)).toBe('v1');
    await cache.invalidate('ns');
    expect(await cached(cache, 'ns', 'k', 300, load)).toBe('v2');
  });

  it('expires entries after their TTL', async () => {
    let now = 0;
    const cache = new MemoryCache({ now: () => now });
    let loads = 0;
    await cached(cache, 'ns', 'k', 300, async () => `v${++loads}`);
    now = 299_000;
    expect(await cached(cache, 'ns', 'k', 300, async () => `v${++loads}`)).toBe('v1');
    now = 300_001;
    expect(await cached(cache, 'ns', 'k', 300, async () => `v${++loads}`)).toBe('v2');
  });

  it('drops a value loaded before an invalidation that happened during the load', async () => {
    const cache = new MemoryCache();
    const stale = cached(cache, 'ns', 'k', 300, async () => {
      await cache.invalidate('ns');
      return 'stale';
    });
    expect(await stale).toBe('stale');
    expect(await cached(cache, 'ns', 'k', 300, async () => 'fresh')).toBe('fresh');
  });

  it('stays within maxEntries, evicting the least recently used', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cached(cache, 'ns', 'a', 300, async () => 'a');
    await cached(cache, 'ns', 'b', 300, async () => 'b');
    await cached(cache, 'ns', 'a', 300, async () => 'a2'); // touch a
    await cached(cache, 'ns', 'c', 300, async () => 'c');
    expect(await cached(cache, 'ns', 'a', 300, async () => 'a3')).toBe('a');
    expect(await cached(cache, 'ns', 'b', 300, async () => 'b2')).toBe('b2');
  });

  it('swaps in a new entry when the generation is still the one read, and announces it', async () => {
    const cache = new MemoryCache();
    const heard: string[] = [];
    cache.onInvalidate((ns) => heard.push(ns));
    await cached(cache, 'shard:1', 'v', 300, async () => 'old');
    const gen = await cache.generation('shard:1');
    expect(await cache.swap('shard:1', 'v', gen, 'new', 300)).toBe(true);
    expect(heard).toEqual(['shard:1']);
    // Readers find the new entry ready: the loader is not called.
    expect(await cached(cache, 'shard:1', 'v', 300, async () => 'loaded')).toBe('new');
    expect(await cache.generation('shard:1')).not.toBe(gen);
  });

  it('refuses a swap once another change moved the generation, changing nothing', async () => {
    const cache = new MemoryCache();
    const gen = await cache.generation('shard:1');
    await cache.invalidate('shard:1'); // another writer's change, announced while this one loaded
    const after = await cache.generation('shard:1');
    expect(await cache.swap('shard:1', 'v', gen, 'missing the other change', 300)).toBe(false);
    expect(await cache.generation('shard:1')).toBe(after);
    expect(await cached(cache, 'shard:1', 'v', 300, async () => 'reloaded')).toBe('reloaded');
  });
});
