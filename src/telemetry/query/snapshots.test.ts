import { describe, expect, it } from 'vitest';
import { FixedClock } from '../../lib/clock.js';
import { Snapshots } from './snapshots.js';

/** A data source whose builds are counted and can be held open, behind a Snapshots at a fixed clock. */
function setup() {
  const clock = new FixedClock(0);
  const state = { data: 'v1', version: 0 as number | null, builds: 0, backgroundBuilds: 0, hold: null as Promise<void> | null };
  const snapshots = new Snapshots<string>(clock, { refreshMs: 1000, maxStalenessMs: 2000 }, () => state.version, 2);
  const build = async (_previous: string | undefined, background: boolean) => {
    const data = state.data; // read when the build starts, like the shards
    state.builds++;
    if (background) state.backgroundBuilds++;
    if (state.hold) await state.hold;
    return data;
  };
  const write = (data: string) => {
    state.data = data;
    if (state.version !== null) state.version++;
  };
  const get = async (scope = 'all', key = 'k') => snapshots.get(key, scope, build);
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { clock, state, write, get, settle };
}

describe('stale-while-revalidate snapshots', () => {
  it('serves the last answer until the refresh interval, then rebuilds once in the background', async () => {
    const { clock, state, write, get, settle } = setup();
    expect((await get()).value).toBe('v1');
    write('v2');
    clock.set(999);
    expect((await get()).value).toBe('v1');
    expect(state.builds).toBe(1);
    clock.set(1000);
    const served = await get();
    expect(served).toMatchObject({ value: 'v1', builtAt: 0 }); // not held up by the rebuild
    await get(); // a second request while it runs starts no other build
    await settle();
    expect(state).toMatchObject({ builds: 2, backgroundBuilds: 1 });
    expect(await get()).toMatchObject({ value: 'v2', builtAt: 1000 });
  });

  it('never serves an answer older than the bound: the request waits for a new one', async () => {
    const { clock, state, write, get } = setup();
    await get();
    write('v2');
    clock.set(2000);
    expect(await get()).toMatchObject({ value: 'v2', builtAt: 2000 });
    expect(state.backgroundBuilds).toBe(0);
  });

  it('keeps serving an unchanged answer, revalidating it in the background past the bound', async () => {
    const { clock, state, get, settle } = setup();
    const first = await get();
    clock.set(1500);
    expect(await get()).toBe(first);
    expect(state.builds).toBe(1); // nothing changed: no rebuild at the refresh interval
    clock.set(2500);
    expect(await get()).toBe(first);
    await settle();
    expect(state).toMatchObject({ builds: 2, backgroundBuilds: 1 });
  });

  it('counts every answer as changed while changes cannot be counted', async () => {
    const { clock, state, get, settle } = setup();
    await get();
    state.version = null;
    clock.set(1000);
    await get();
    await settle();
    expect(state.backgroundBuilds).toBe(1);
  });

  it('never serves an answer built for another scope, and builds it before answering', async () => {
    const { state, get } = setup();
    expect((await get('ids 1,2')).scope).toBe('ids 1,2');
    state.data = 'after the registry changed';
    expect(await get('ids 1')).toMatchObject({ scope: 'ids 1', value: 'after the registry changed' });
  });

  it('waits for a build in flight rather than starting another, and checks its scope', async () => {
    const { state, get } = setup();
    let release!: () => void;
    state.hold = new Promise((resolve) => (release = resolve));
    const a = get('ids 1,2');
    const b = get('ids 1,2');
    const c = get('ids 1');
    release();
    state.hold = null;
    expect((await a).scope).toBe('ids 1,2');
    expect(await b).toBe(await a);
    expect((await c).scope).toBe('ids 1');
    expect(state.builds).toBe(2);
  });

  it('keeps a bounded number of keys, the least recently used dropped first', async () => {
    const { state, get } = setup();
    await get('all', 'a');
    await get('all', 'b');
    await get('all', 'a');
    await get('all', 'c'); // drops b
    expect(state.builds).toBe(3);
    await get('all', 'a');
    expect(state.builds).toBe(3);
    await get('all', 'b');
    expect(state.builds).toBe(4);
  });

  it('keeps serving the last answer when a background rebuild fails, and retries', async () => {
    const clock = new FixedClock(0);
    let version = 0;
    let fail = false;
    const errors: unknown[] = [];
    const s = new Snapshots<string>(clock, { refreshMs: 1000, maxStalenessMs: 2000 }, () => version, 32, (e) => errors.push(e));
    const build = async () => {
      if (fail) throw new Error('cache down');
      return `v${version}`;
    };
    await s.get('k', 'all', build);
    version++;
    fail = true;
    clock.set(1000);
    expect((await s.get('k', 'all', build)).value).toBe('v0');
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    fail = false;
    clock.set(1100);
    expect((await s.get('k', 'all', build)).value).toBe('v0'); // the retry runs in the background
    await new Promise((resolve) => setImmediate(resolve));
    expect((await s.get('k', 'all', build)).value).toBe('v1');
    fail = true;
    version++;
    clock.set(3100); // too old, and the rebuild fails: the request sees the failure rather than old data
    await expect(s.get('k', 'all', build)).rejects.toThrow('cache down');
  });
});
