import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cached, cachedBytes, type Cache } from '../../src/infra/cache/cache.js';

/** How the contract reaches one Cache implementation. */
export interface CacheHarness {
  /** A new cache over a store no other test uses; the suite closes it. */
  create(): Promise<Cache>;
  /** How long an invalidation may take to reach this process's listeners. */
  announceTimeoutMs: number;
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * What every cache guarantees: generation-based invalidation (an entry written before `invalidate` is never
 * served after it, and a load that raced an invalidation is not stored), TTLs, compare-and-swap of an entry,
 * and invalidations announced to listeners. Run against each implementation.
 */
export function describeCacheContract(label: string, harness: CacheHarness): void {
  describe(`Cache contract: ${label}`, () => {
    let cache: Cache;
    beforeEach(async () => {
      cache = await harness.create();
    });
    afterEach(async () => {
      await cache.close();
    });

    it('answers ping', async () => {
      await expect(cache.ping()).resolves.toBeUndefined();
    });

    it('serves an entry until its namespace is invalidated, then loads it again', async () => {
      let loads = 0;
      const load = async () => `v${++loads}`;
      expect(await cached(cache, 'ns', 'k', 300, load)).toBe('v1');
      expect(await cached(cache, 'ns', 'k', 300, load)).toBe('v1');
      expect(await cached(cache, 'other', 'k', 300, async () => 'other')).toBe('other');
      await cache.invalidate('ns');
      expect(await cached(cache, 'ns', 'k', 300, load)).toBe('v2');
      expect(await cached(cache, 'other', 'k', 300, async () => 'reloaded')).toBe('other');
    });

    it('reads an entry as UTF-8 bytes, the same Buffer while it is unchanged, and stores what cachedBytes loads as text', async () => {
      const text = '8704\t[{"variable":"caudal","unit":"m³/h","value":12.5}]';
      const loaded = await cachedBytes(cache, 'bytes', 'k', 300, async () => text);
      expect(loaded.toString('utf8')).toBe(text);
      expect((await cache.read('bytes', 'k')).value).toBe(text);
      const first = await cache.readBytes('bytes', 'k');
      expect(first.value?.equals(Buffer.from(text))).toBe(true);
      expect((await cache.readBytes('bytes', 'k')).value).toBe(first.value);
      expect(await cachedBytes(cache, 'bytes', 'k', 300, async () => 'not loaded: cached')).toBe(first.value);
      // A new entry under a new generation comes back as its own bytes, and a removed one as undefined.
      expect(await cache.swap('bytes', 'k', first.gen, 'swapped ✓', 300)).toBe(true);
      const after = await cache.readBytes('bytes', 'k');
      expect(after.gen).not.toBe(first.gen);
      expect(after.value?.toString('utf8')).toBe('swapped ✓');
      await cache.invalidate('bytes');
      expect((await cache.readBytes('bytes', 'k')).value).toBeUndefined();
    });

    it('counts hits and misses of cached() reads in its stats', async () => {
      await cached(cache, 'ns', 'k', 300, async () => 'v');
      await cached(cache, 'ns', 'k', 300, async () => 'v');
      await cached(cache, 'ns', 'k', 300, async () => 'v');
      expect(cache.stats).toMatchObject({ hits: 2, misses: 1 });
    });

    it('expires entries after their TTL', async () => {
      await cached(cache, 'ns', 'k', 1, async () => 'first');
      expect(await cached(cache, 'ns', 'k', 1, async () => 'too early')).toBe('first');
      await new Promise((r) => setTimeout(r, 1100));
      expect(await cached(cache, 'ns', 'k', 1, async () => 'second')).toBe('second');
    });

    it('does not store a value loaded before an invalidation that happened during the load', async () => {
      const stale = cached(cache, 'ns', 'k', 300, async () => {
        await cache.invalidate('ns');
        return 'stale';
      });
      expect(await stale).toBe('stale');
      expect(await cached(cache, 'ns', 'k', 300, async () => 'fresh')).toBe('fresh');
      const { gen } = await cache.read('ns', 'k');
      await cache.invalidate('ns');
      await cache.write('ns', 'k', 'written for an old generation', 300, gen);
      expect((await cache.read('ns', 'k')).value).toBeUndefined();
    });

    it('moves the generation on every invalidation, for each namespace of invalidateMany and no other', async () => {
      const before = { a: await cache.generation('a'), b: await cache.generation('b'), c: await cache.generation('c') };
      expect((await cache.read('a', 'f')).gen).toBe(before.a);
      await cache.invalidateMany(['a', 'b']);
      expect(await cache.generation('a')).not.toBe(before.a);
      expect(await cache.generation('b')).not.toBe(before.b);
      expect(await cache.generation('c')).toBe(before.c);
      await cache.invalidateMany([]);
      expect(await cache.generation('c')).toBe(before.c);
    });

    it('swaps in a new entry when the generation is still the one read, and announces it', async () => {
      const heard: string[] = [];
      cache.onInvalidate((ns) => heard.push(ns));
      await until(() => cache.announcing(), 'announcing', harness.announceTimeoutMs);
      await cached(cache, 'shard:1', 'v', 300, async () => 'old');
      const gen = await cache.generation('shard:1');
      expect(await cache.swap('shard:1', 'v', gen, 'new', 300)).toBe(true);
      await until(() => heard.includes('shard:1'), 'the swap announced', harness.announceTimeoutMs);
      // Readers find the new entry ready: the loader is not called.
      expect(await cached(cache, 'shard:1', 'v', 300, async () => 'loaded')).toBe('new');
      expect(await cache.generation('shard:1')).not.toBe(gen);
    });

    it('refuses a swap once another change moved the generation, changing nothing', async () => {
      const gen = await cache.generation('shard:1');
      await cache.invalidate('shard:1'); // another writer's change, announced while this one loaded
      const after = await cache.generation('shard:1');
      expect(await cache.swap('shard:1', 'v', gen, 'missing the other change', 300)).toBe(false);
      expect(await cache.generation('shard:1')).toBe(after);
      expect(await cached(cache, 'shard:1', 'v', 300, async () => 'reloaded')).toBe('reloaded');
    });

    it('tells its listeners about every invalidated namespace', async () => {
      const heard: string[] = [];
      cache.onInvalidate((ns) => heard.push(ns));
      await until(() => cache.announcing(), 'announcing', harness.announceTimeoutMs);
      await cache.invalidate('points');
      await cache.invalidateMany(['latest-values:1', 'latest-values:2']);
      await until(
        () => ['points', 'latest-values:1', 'latest-values:2'].every((ns) => heard.includes(ns)),
        'every announcement',
        harness.announceTimeoutMs,
      );
    });
  });
}
