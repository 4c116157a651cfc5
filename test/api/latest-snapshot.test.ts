import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { FixedClock } from '../../src/lib/clock.js';
import type { Principal } from '../../src/auth/principal.js';
import { LATEST_SHARD_SIZE, LATEST_SNAPSHOT_TIMING, LatestValuesService } from '../../src/telemetry/query/latest.service.js';
import { LatestRepository } from '../../src/telemetry/query/latest.repository.js';
import { store } from './query.support.js';

/**
 * The dashboard of latest values served from snapshots (stale-while-revalidate): how old an answer may
 * be (at an injected clock), that a write reaches it within that bound, that one point's values are
 * exact at once, and that a snapshot never shows a point to a caller who may not see it.
 */
let t: TestContext;
let mine: Awaited<ReturnType<typeof seedTenant>>;
let theirs: Awaited<ReturnType<typeof seedTenant>>;
let clientToken: string;
let minute = 0;

const admin: Principal = { userId: 1, role: 'admin', clientId: null };
const { refreshMs, maxStalenessMs } = LATEST_SNAPSHOT_TIMING;

/** Stores a flow reading of the point (a minute later than the one before) and refreshes the cache, as the processor does. */
async function writeFlow(pointId: number, value: number) {
  await store(t.c.db, [{ point_id: pointId, variable: 'flow', ts: new Date(Date.UTC(2025, 2, 10, 10, minute++)), value }]);
  await t.c.latest.onWritten([pointId]);
}

const flowIn = (answer: { items: { point_id: number; variables: { variable: string; value: unknown }[] }[] }, pointId: number) =>
  answer.items.find((i) => i.point_id === pointId)?.variables.find((v) => v.variable === 'flow')?.value;

beforeAll(async () => {
  t = await createTestContext();
  mine = await seedTenant(t, 'mine', 2);
  theirs = await seedTenant(t, 'theirs', 1);
  ({ token: clientToken } = await seedClientUser(t, mine.clientId, 'snapshot@mine.cl', 'reader-password'));
  await writeFlow(mine.points[0]!, 1);
  await writeFlow(theirs.points[0]!, 100);
});
afterAll(async () => t.close());

describe('latest values snapshot: staleness bound (injected clock)', () => {
  const setup = () => {
    const clock = new FixedClock(Date.parse('2026-01-01T00:00:00Z'));
    const service = new LatestValuesService({ db: t.c.db, cache: t.c.cache, clock });
    return { clock, service, dashboard: () => service.forPoints(admin) };
  };

  it('serves the snapshot until the refresh interval, then the new value once rebuilt in the background', async () => {
    const { clock, service, dashboard } = setup();
    const p = mine.points[0]!;
    const first = await service.answer(admin, undefined, false);
    await writeFlow(p, 2);
    clock.advance(refreshMs - 1);
    const early = await service.answer(admin, undefined, false);
    expect(early.body).toBe(first.body); // the same bytes: nothing rebuilt
    expect(early.snapshotAt).toEqual(first.snapshotAt);
    clock.advance(1);
    expect(flowIn(await dashboard(), p)).not.toBe(2); // not held up by the rebuild it starts
    await vi.waitFor(async () => expect(flowIn(await dashboard(), p)).toBe(2));
    expect((await service.answer(admin, undefined, false)).snapshotAt).toEqual(clock.now());
  });

  it('never serves a snapshot older than the bound: a value written before is in the answer', async () => {
    const { clock, service, dashboard } = setup();
    const p = mine.points[0]!;
    await dashboard();
    await writeFlow(p, 3);
    clock.advance(maxStalenessMs);
    const a = await service.answer(admin, undefined, false);
    expect(a.snapshotAt).toEqual(clock.now());
    expect(flowIn(JSON.parse(a.body.toString()), p)).toBe(3);
  });

  it('keeps the same bytes while nothing is written, past the refresh interval', async () => {
    const { clock, service } = setup();
    const first = await service.answer(admin, undefined, false);
    clock.advance(maxStalenessMs - 1);
    expect((await service.answer(admin, undefined, false)).body).toBe(first.body);
  });

  it('answers one point exactly at once, while the dashboard may still show the snapshot', async () => {
    const { service, dashboard } = setup();
    const p = mine.points[0]!;
    const before = flowIn(await dashboard(), p);
    await writeFlow(p, 4);
    expect((await service.forPoint(admin, p)).variables.find((v) => v.variable === 'flow')?.value).toBe(4);
    expect(flowIn(await dashboard(), p)).toBe(before);
  });

  it('compresses each snapshot once, the rebuilt one as well, to the same JSON', async () => {
    const clock = new FixedClock(Date.parse('2026-01-01T00:00:00Z'));
    const service = new LatestValuesService({ db: t.c.db, cache: t.c.cache, clock, gzipMinBytes: 0 });
    const gz = await service.answer(admin, undefined, true);
    expect(gz.gzipped).toBe(true);
    expect((await service.answer(admin, undefined, true)).body).toBe(gz.body);
    await writeFlow(mine.points[0]!, 5);
    clock.advance(refreshMs);
    await service.answer(admin, undefined, true); // starts the rebuild
    await vi.waitFor(async () => expect((await service.answer(admin, undefined, true)).body).not.toBe(gz.body));
    const json = await service.answer(admin, undefined, false);
    const { gunzipSync } = await import('node:zlib');
    expect(gunzipSync((await service.answer(admin, undefined, true)).body).toString()).toBe(json.body.toString());
  });
});

describe('latest values snapshot over HTTP', () => {
  it('says when its snapshot was taken, and shows a write within the bound', async () => {
    const p = mine.points[1]!;
    await t.as(clientToken, { method: 'GET', url: '/api/v1/latest' }); // a snapshot exists
    await writeFlow(p, 7);
    const written = Date.now();
    let r = await t.as(clientToken, { method: 'GET', url: '/api/v1/latest' });
    while (flowIn(r.body, p) !== 7 && Date.now() - written < maxStalenessMs + 1000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      r = await t.as(clientToken, { method: 'GET', url: '/api/v1/latest' });
    }
    expect(flowIn(r.body, p)).toBe(7);
    const snapshotAt = Date.parse(String(r.headers['x-snapshot-at']));
    expect(Date.now() - snapshotAt).toBeLessThanOrEqual(maxStalenessMs);
  });

  it('lists only the points the caller may see now, even while a snapshot is fresh', async () => {
    const ids = async (token: string) => ((await t.as(token, { method: 'GET', url: '/api/v1/latest' })).body.items as { point_id: number }[]).map((i) => i.point_id);
    expect(await ids(clientToken)).toEqual([...mine.points].sort((a, b) => a - b));
    const all = await ids(t.adminToken);
    expect(all).toEqual(expect.arrayContaining([...mine.points, ...theirs.points]));

    // Their point moves into my project: my dashboard lists it on the next request, with its value.
    const moved = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${theirs.points[0]}`, payload: { project_id: mine.projectId } });
    expect(moved.status).toBe(200);
    const r = await t.as(clientToken, { method: 'GET', url: '/api/v1/latest' });
    expect(r.body.items.map((i: { point_id: number }) => i.point_id)).toContain(theirs.points[0]);
    expect(flowIn(r.body, theirs.points[0]!)).toBe(100);

    // …and back: it is gone from my dashboard at once, and from a point_ids query naming it.
    await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${theirs.points[0]}`, payload: { project_id: theirs.projectId } });
    expect(await ids(clientToken)).toEqual([...mine.points].sort((a, b) => a - b));
    const named = await t.as(clientToken, { method: 'GET', url: `/api/v1/latest?point_ids=${theirs.points[0]},${mine.points[0]}` });
    expect(named.body.items.map((i: { point_id: number }) => i.point_id)).toEqual([mine.points[0]]);
    expect(JSON.stringify(named.body)).not.toContain('100');
  });
});

describe('latest values cache after writes', () => {
  it('keeps each cached shard equal to a reload from latest_values, refreshing only the written points', async () => {
    await t.c.latest.forPoints(admin); // every shard cached
    const points = [...mine.points, ...theirs.points];
    const shards = [...new Set(points.map((p) => Math.floor(p / LATEST_SHARD_SIZE)))];
    for (const k of shards) expect((await t.c.cache.read(`latest-values:${k}`, 'v')).value).toBeDefined();

    await writeFlow(mine.points[0]!, 11);
    await writeFlow(theirs.points[0]!, 101);
    await t.c.db.query('DELETE FROM latest_values WHERE point_id = $1', [mine.points[1]]);
    const queries = vi.spyOn(t.c.db, 'query');
    await t.c.latest.onWritten([mine.points[1]!]);
    // One query for the written point, none for the whole shard.
    expect(queries.mock.calls.map(([sql]) => String(sql)).filter((sql) => sql.includes('latest_values'))).toEqual([
      expect.stringContaining('ANY($1::bigint[])'),
    ]);
    queries.mockRestore();

    const repo = new LatestRepository(t.c.db);
    for (const k of shards) {
      const cached = (await t.c.cache.read(`latest-values:${k}`, 'v')).value!;
      const reloaded = await repo.shardText(k * LATEST_SHARD_SIZE, (k + 1) * LATEST_SHARD_SIZE);
      expect(cached.split('\n').sort()).toEqual(reloaded.split('\n').sort());
    }
    expect((await t.c.latest.forPoint(admin, mine.points[1]!)).variables).toEqual([]);
    expect((await t.c.latest.forPoint(admin, theirs.points[0]!)).variables[0]).toMatchObject({ variable: 'flow', value: 101 });
  });
});
