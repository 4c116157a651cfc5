import { describe, expect, it } from 'vitest';
import type { Db } from '../../infra/db/index.js';
import { MemoryCache } from '../../infra/cache/memory.js';
import { LATEST_SWAP_TRIES, LatestValuesService, patchShard } from './latest.service.js';

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

describe('latest values after writes announced while a refresh runs', () => {
  it('gathers them into one refresh after it, and each caller waits for the refresh covering its points', async () => {
    const cache = new MemoryCache();
    const loads: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const db = {
      query: async (_sql: string, params: unknown[]) => {
        const ids = (params[0] as (string | number)[]).map(Number);
        loads.push(ids);
        if (loads.length === 1) await held; // the first refresh is still running while the next writes arrive
        return { rows: ids.map((id) => ({ point_id: id, vars: `[${id * 10}]` })), rowCount: ids.length };
      },
    } as unknown as Db;
    const latest = new LatestValuesService({ db, cache });
    await cache.write('latest-values:0', 'v', '1\t[1]\n2\t[2]\n3\t[3]', 60, await cache.generation('latest-values:0'));
    const settled: number[] = [];
    const first = latest.onWritten([1]).then(() => settled.push(1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = latest.onWritten([2]).then(() => settled.push(2));
    const third = latest.onWritten([3, 2]).then(() => settled.push(3));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toEqual([]);
    release();
    await Promise.all([first, second, third]);
    expect(loads).toEqual([[1], [2, 3]]);
    expect(settled).toEqual([1, 2, 3]);
    expect((await cache.read('latest-values:0', 'v')).value?.split('\n').sort()).toEqual(['1\t[10]', '2\t[20]', '3\t[30]']);
  });
});

describe('the answer of every visible point, assembled from the shards', () => {
  const fakeDb = (ids: string, shards: Record<number, string>) =>
    ({
      query: async (sql: string, params: unknown[]) => {
        if (sql.includes('string_agg(p.id')) return { rows: [{ ids }], rowCount: 1 };
        const text = shards[Number(params[0]) / 256] ?? '';
        const rows = text === '' ? [] : text.split('\n').map((line) => ({ point_id: Number(line.split('\t')[0]), vars: line.slice(line.indexOf('\t') + 1) }));
        return { rows, rowCount: rows.length };
      },
    }) as unknown as Db;

  it('gives each point its own variables, in id order, with [] for a point without values', async () => {
    const estado = JSON.stringify([{ variable: 'estado', value: 'señal débil — ñandú', timestamp: '2026-01-01T00:00:00.000Z', quality_score: 0.5 }]);
    const flow = JSON.stringify([{ variable: 'flow', value: 12.5, timestamp: '2026-01-01T00:00:00.000Z', quality_score: 1 }]);
    const shards = {
      // Lines in no particular order (a patched shard keeps the order of its map); one after non-ASCII text.
      0: `255\t[]\n1\t${estado}\n9\t${flow}`,
      1: `256\t${estado}`,
      39: `10000\t${flow}`,
    };
    const latest = new LatestValuesService({ db: fakeDb('1,2,9,255,256,10000', shards), cache: new MemoryCache() });
    const admin = { userId: 1, role: 'admin' as const, clientId: null };
    const text = (await latest.forPointsJson(admin)).toString('utf8');
    expect(JSON.parse(text)).toEqual({
      items: [
        { point_id: 1, variables: JSON.parse(estado) },
        { point_id: 2, variables: [] },
        { point_id: 9, variables: JSON.parse(flow) },
        { point_id: 255, variables: [] },
        { point_id: 256, variables: JSON.parse(estado) },
        { point_id: 10000, variables: JSON.parse(flow) },
      ],
      total: 6,
    });
    expect(await latest.forPoint(admin, 1)).toEqual({ point_id: 1, variables: JSON.parse(estado) });
    expect(JSON.parse((await latest.forPointsJson(admin, [256, 2, 999])).toString('utf8'))).toEqual({
      items: [{ point_id: 2, variables: [] }, { point_id: 256, variables: JSON.parse(estado) }],
      total: 2,
    });
  });

  it('answers an empty list when nothing is visible', async () => {
    const latest = new LatestValuesService({ db: fakeDb('', {}), cache: new MemoryCache() });
    const text = (await latest.forPointsJson({ userId: 1, role: 'admin', clientId: null })).toString('utf8');
    expect(JSON.parse(text)).toEqual({ items: [], total: 0 });
  });
});

describe('a shard swap lost to another writer', () => {
  const shardLines = async (cache: MemoryCache) => ((await cache.read('latest-values:0', 'v')).value ?? '').split('\n').sort();
  /** The cache, with `beforeSwap` run before each swap (another process's write landing first). */
  const racing = (cache: MemoryCache, beforeSwap: (ns: string) => Promise<void>) =>
    new Proxy(cache, {
      get(target, prop) {
        if (prop === 'swap') {
          return async (ns: string, field: string, gen: string, value: string, ttl: number) => {
            await beforeSwap(ns);
            return target.swap(ns, field, gen, value, ttl);
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  const db = { query: async () => ({ rows: [{ point_id: 2, vars: '[20]' }], rowCount: 1 }) } as unknown as Db;

  it('is tried again from the newer shard, keeping both writes, rather than dropping the shard', async () => {
    const cache = new MemoryCache();
    await cache.write('latest-values:0', 'v', '1\t[1]\n2\t[2]', 60, await cache.generation('latest-values:0'));
    let raced = false;
    const latest = new LatestValuesService({
      db,
      cache: racing(cache, async (ns) => {
        if (raced) return;
        raced = true; // point 1 written by another processor between this one's read and its swap
        await cache.swap(ns, 'v', await cache.generation(ns), '1\t[10]\n2\t[2]', 60);
      }),
    });
    await latest.onWritten([2]);
    expect(await shardLines(cache)).toEqual(['1\t[10]', '2\t[20]']);
  });

  it('is given up after a few tries: the shard is invalidated and the next read reloads it', async () => {
    const cache = new MemoryCache();
    await cache.write('latest-values:0', 'v', '1\t[1]\n2\t[2]', 60, await cache.generation('latest-values:0'));
    let swaps = 0;
    const latest = new LatestValuesService({
      db,
      cache: racing(cache, async (ns) => {
        swaps++;
        await cache.swap(ns, 'v', await cache.generation(ns), `1\t[${swaps}]\n2\t[2]`, 60); // always someone first
      }),
    });
    await latest.onWritten([2]);
    expect(swaps).toBe(LATEST_SWAP_TRIES);
    expect((await cache.read('latest-values:0', 'v')).value).toBeUndefined();
  });
});
