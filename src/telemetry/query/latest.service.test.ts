import { describe, expect, it } from 'vitest';
import type { Db } from '../../infra/db/index.js';
import { MemoryCache } from '../../infra/cache/memory.js';
import { LatestValuesService, patchShard } from './latest.service.js';

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

describe('patching a cached shard with the written points', () => {
  const lines = (text: string) => text.split('\n').sort();
  it.each([
    ['replaces a written point', '1\t[1]\n2\t[2]', [2], [[2, '[20]']], ['1\t[1]', '2\t[20]']],
    ['adds a point seen for the first time', '1\t[1]', [3], [[3, '[3]']], ['1\t[1]', '3\t[3]']],
    ['drops a point left without latest values', '1\t[1]\n2\t[2]', [1], [], ['2\t[2]']],
    ['starts from an empty shard', '', [5], [[5, '[5]']], ['5\t[5]']],
    ['leaves the points not written as they were', '1\t[1]\n2\t[2]', [2], [[1, '[99]'], [2, '[2]']], ['1\t[1]', '2\t[2]']],
  ] as const)('%s', (_name, text, ids, fresh, expected) => {
    expect(lines(patchShard(text, ids, new Map(fresh)))).toEqual([...expected].sort());
  });
});

describe('latest values after a write to a cached shard', () => {
  it('invalidates the shard when the written points cannot be loaded', async () => {
    const cache = new MemoryCache();
    const failing = { query: async () => Promise.reject(new Error('connection lost')) } as unknown as Db;
    const latest = new LatestValuesService({ db: failing, cache });
    await cache.write('latest-values:0', 'v', '7\t[]', 60, await cache.generation('latest-values:0'));
    await latest.onWritten([7]);
    expect((await cache.read('latest-values:0', 'v')).value).toBeUndefined();
  });
});

describe('latest values after a write touching many shards', () => {
  it('lets other work run between shards rather than patching them all in one turn of the event loop', async () => {
    const cache = new MemoryCache();
    const ids = [1, 300, 600]; // three shards of 256
    const db = { query: async () => ({ rows: ids.map((id) => ({ point_id: id, vars: '[1]' })), rowCount: ids.length }) } as unknown as Db;
    const latest = new LatestValuesService({ db, cache });
    for (const k of [0, 1, 2]) await cache.write(`latest-values:${k}`, 'v', '', 60, await cache.generation(`latest-values:${k}`));
    let otherWorkRan = false;
    const seenAtSwap: boolean[] = [];
    cache.onInvalidate(() => seenAtSwap.push(otherWorkRan));
    setImmediate(() => (otherWorkRan = true));
    await latest.onWritten(ids);
    expect(seenAtSwap).toHaveLength(3);
    expect(seenAtSwap.at(-1)).toBe(true);
    for (const [k, id] of ids.entries()) expect((await cache.read(`latest-values:${k}`, 'v')).value).toBe(`${id}\t[1]`);
  });
});
