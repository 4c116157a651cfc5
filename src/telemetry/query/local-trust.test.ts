import { describe, expect, it } from 'vitest';
import { ALL_NAMESPACES } from '../../infra/cache/index.js';
import { MemoryCache } from '../../infra/cache/memory.js';
import { FixedClock } from '../../lib/clock.js';
import { LocalTrust } from './local-trust.js';

describe('local trust in a cached copy', () => {
  const setup = () => {
    const clock = new FixedClock(0);
    const cache = new (class extends MemoryCache {
      live = true;
      override announcing() {
        return this.live;
      }
      readonly heard: ((ns: string) => void)[] = [];
      override onInvalidate(listener: (ns: string) => void) {
        this.heard.push(listener);
        super.onInvalidate(listener);
      }
      announceAll() {
        for (const l of this.heard) l(ALL_NAMESPACES);
      }
    })();
    const trust = new LocalTrust(cache, (ns) => ns.startsWith('shard:'), 1000, clock);
    return { cache, trust, at: (t: number) => clock.set(t) };
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

  it('trusts nothing while announcements are down, and nothing granted before they resumed', () => {
    const { cache, trust } = setup();
    trust.grant('shard:1', 'v', trust.begin('shard:1'));
    cache.live = false; // Redis pub/sub disconnected: an invalidation now would not reach this process
    expect(trust.trusted('shard:1', 'v')).toBe(false);
    trust.grant('shard:2', 'v', trust.begin('shard:2'));
    expect(trust.trusted('shard:2', 'v')).toBe(false);
    cache.live = true;
    cache.announceAll(); // resubscribed: what was announced in between is lost
    expect(trust.trusted('shard:1', 'v')).toBe(false);
    const from = trust.begin('shard:1');
    trust.grant('shard:1', 'v', from);
    expect(trust.trusted('shard:1', 'v')).toBe(true);
  });

  it('does not grant a check that began before announcements resumed', () => {
    const { cache, trust } = setup();
    const from = trust.begin('shard:1');
    cache.announceAll();
    trust.grant('shard:1', 'v', from);
    expect(trust.trusted('shard:1', 'v')).toBe(false);
  });
});
