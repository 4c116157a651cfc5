import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../infra/cache/memory.js';
import { LocalTrust } from './local-trust.js';

describe('local trust in a cached copy', () => {
  const setup = () => {
    let now = 0;
    const cache = new MemoryCache();
    const trust = new LocalTrust(cache, (ns) => ns.startsWith('shard:'), 1000, () => now);
    return { cache, trust, at: (t: number) => (now = t) };
  };

  it('holds until the namespace is invalidated or the time is up', async () => {
    const { cache, trust, at } = setup();
    trust.grant('shard:1', 'v', trust.begin('shard:1'));
    expect(trust.trusted('shard:1', 'v')).toBe(true);
    at(1001);
    expect(trust.trusted('shard:1', 'v')).toBe(false);
    trust.grant('shard:1', 'v', trust.begin('shard:1'));
    await cache.invalidateMany(['shard:2']);
    expect(trust.trusted('shard:1', 'v')).toBe(true);
    await cache.invalidate('shard:1');
    expect(trust.trusted('shard:1', 'v')).toBe(false);
  });

  it('is not granted to a check an invalidation overtook', async () => {
    const { cache, trust } = setup();
    const epoch = trust.begin('shard:1');
    await cache.invalidate('shard:1'); // a write lands while this process reads the old entry
    trust.grant('shard:1', 'v', epoch);
    expect(trust.trusted('shard:1', 'v')).toBe(false);
  });

  it('keeps fields of one namespace apart', async () => {
    const { cache, trust } = setup();
    trust.grant('shard:1', 'a', trust.begin('shard:1'));
    await cache.invalidate('shard:1');
    trust.grant('shard:1', 'b', trust.begin('shard:1'));
    expect(trust.trusted('shard:1', 'a')).toBe(false);
    expect(trust.trusted('shard:1', 'b')).toBe(true);
  });
});
