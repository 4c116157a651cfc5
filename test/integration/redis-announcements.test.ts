import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_NAMESPACES, cached } from '../../src/infra/cache/index.js';
import { RedisCache } from '../../src/infra/cache/redis.js';
import { REDIS_URL, uniquePrefix } from './support.js';

/** Invalidation announcements over Redis pub/sub, and what a process does when it may have missed some. */
describe('Redis invalidation announcements', () => {
  const prefix = uniquePrefix();
  const a = new RedisCache(REDIS_URL, prefix);
  const b = new RedisCache(REDIS_URL, prefix);
  const admin = new Redis(REDIS_URL);
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    admin.disconnect();
  });

  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(ok(), what).toBe(true);
  };

  it('reaches the other process, says when it is down, and tells listeners everything may have changed once back', async () => {
    const heard: string[] = [];
    b.onInvalidate((ns) => heard.push(ns));
    expect(b.announcing()).toBe(false); // not subscribed yet
    await until('subscribed', () => b.announcing());
    expect(heard).toEqual([ALL_NAMESPACES]);

    await a.invalidate('points');
    await until('announcement received', () => heard.includes('points'));

    // Drop the subscriber's connection, as a Redis restart or a network cut would.
    const clients = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ids = clients
      .split('\n')
      .filter((l) => l.includes(`name=smarthydro-cache-${prefix}-sub `))
      .map((l) => /id=(\d+)/.exec(l)?.[1])
      .filter(Boolean) as string[];
    expect(ids).toHaveLength(1);
    heard.length = 0;
    for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
    await until('down while reconnecting', () => !b.announcing() || heard.includes(ALL_NAMESPACES));
    await until('subscribed again', () => b.announcing() && heard.includes(ALL_NAMESPACES));

    await a.invalidate('latest-values:3');
    await until('announcements flow again', () => heard.includes('latest-values:3'));
  });

  it('swaps an entry in for every process in one step, unless the generation moved', async () => {
    const heard: string[] = [];
    b.onInvalidate((ns) => heard.push(ns));
    await until('subscribed', () => b.announcing());
    const gen = await a.generation('latest-values:9');
    expect(await a.swap('latest-values:9', 'v', gen, 'fresh shard', 60)).toBe(true);
    await until('swap announced', () => heard.includes('latest-values:9'));
    expect(await cached(b, 'latest-values:9', 'v', 60, async () => 'loaded by b')).toBe('fresh shard');
    // A swap prepared before another change was announced does not land.
    const stale = await a.generation('latest-values:9');
    await b.invalidate('latest-values:9');
    expect(await a.swap('latest-values:9', 'v', stale, 'stale shard', 60)).toBe(false);
    expect(await cached(b, 'latest-values:9', 'v', 60, async () => 'reloaded')).toBe('reloaded');
  });
});
