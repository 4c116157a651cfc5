import { describe, expect, it } from 'vitest';
import { ALL_NAMESPACES } from './cache.js';
import { MemoryCache } from './memory.js';
import { FixedClock } from '../../lib/clock.js';
import { LocalCopies, LocalTrust } from './local-copies.js';
import { cached } from './cache.js';

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

describe('local copies of cache entries', () => {
  const setup = () => {
    const clock = new FixedClock(0);
    const cache = new MemoryCache();
    let stored = 'one';
    const load = async () => stored;
    const copies = new LocalCopies<{ text: string }>(cache, (ns) => ns === 'ns', 1000, cached, (text) => ({ text }), (c, t) => c.text === t, clock);
    const get = () => copies.get('ns', 'f', 60, load);
    const change = async (text: string) => {
      stored = text;
      await cache.write('ns', 'f', text, 60, await cache.generation('ns')); // a writer that announces nothing
    };
    return { clock, cache, get, change };
  };

  it('answers from its copy while trusted, without reading the cache', async () => {
    const s = setup();
    expect((await s.get()).text).toBe('one');
    await s.change('two');
    s.clock.set(999);
    expect((await s.get()).text).toBe('one');
  });

  it('once the time is up with nothing announced, answers from its copy at once and checks the cache in the background', async () => {
    const s = setup();
    await s.get();
    await s.change('two');
    s.clock.set(1500);
    expect((await s.get()).text).toBe('one'); // not held up by the check
    await new Promise((resolve) => setImmediate(resolve));
    expect((await s.get()).text).toBe('two'); // the background check brought the new entry, trusted again
  });

  it('waits for the cache after an announcement, or once the grace after the time is up has passed too', async () => {
    const s = setup();
    await s.get();
    await s.cache.invalidate('ns');
    await s.change('two');
    expect((await s.get()).text).toBe('two');
    await s.change('three');
    s.clock.set(3001); // granted at 0 for 1000 ms, unchanged for 1000 more: past both
    expect((await s.get()).text).toBe('three');
  });

  it('checks in the background once however many requests arrive meanwhile', async () => {
    const s = setup();
    await s.get();
    let reads = 0;
    const read = s.cache.read.bind(s.cache);
    s.cache.read = (ns, field) => {
      reads++;
      return read(ns, field);
    };
    s.clock.set(1500);
    await Promise.all([s.get(), s.get(), s.get()]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toBe(1);
  });
});
