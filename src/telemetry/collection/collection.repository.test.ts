import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../infra/db/index.js';
import { migrate } from '../../infra/db/migrate.js';
import { PROVIDERS } from '../../providers/provider.js';
import { CollectionRepository } from './collection.repository.js';
import { TickClaimRepository } from './tick.repository.js';

describe('CollectionRepository', () => {
  let db: Db;
  let repo: CollectionRepository;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    db = await openDb({ memory: true });
    await migrate(db);
    repo = new CollectionRepository(db);
    const client = await db.query<{ id: number }>(`INSERT INTO clients (name, rut) VALUES ('c', '11111111-1') RETURNING id`);
    const project = await db.query<{ id: number }>(`INSERT INTO projects (client_id, name) VALUES ($1, 'p') RETURNING id`, [client.rows[0]!.id]);
    const points: [string, string | null, boolean, number][] = [
      ['twin-5', 'twin', true, 5], ['novus-1', 'novus', true, 1], ['nettra-5', 'nettra', true, 5],
      ['push-5', 'push', true, 5], ['none-5', null, true, 5], ['twin-off', 'twin', false, 5],
    ];
    for (const [title, provider, active, frequency] of points) {
      const r = await db.query<{ id: string }>(
        `INSERT INTO catchment_points (project_id, title, provider, is_telemetry_active, frequency, telemetry_start_at)
         VALUES ($1, $2, $3, $4, $5, '2026-01-02T03:04:05.006Z') RETURNING id`,
        [project.rows[0]!.id, title, provider, active, frequency],
      );
      ids[title] = Number(r.rows[0]!.id);
    }
  });
  afterAll(async () => db.close());

  it('lists the active points of the given providers only, by id', async () => {
    const all = await repo.activePoints(PROVIDERS);
    expect(all.map((p) => Number(p.id))).toEqual([ids['twin-5'], ids['novus-1'], ids['nettra-5']]);
    expect(all[0]!.telemetry_start_at).toBe('2026-01-02T03:04:05.006Z');
    expect((await repo.activePoints(['twin'])).map((p) => Number(p.id))).toEqual([ids['twin-5']]);
  });

  it('filters by frequency when one is given', async () => {
    expect((await repo.activePoints(PROVIDERS, 5)).map((p) => Number(p.id))).toEqual([ids['twin-5'], ids['nettra-5']]);
    expect((await repo.activePoints(PROVIDERS, 60))).toEqual([]);
  });

  it('moves a cursor forward only', async () => {
    const id = ids['twin-5']!;
    await repo.saveCursors(id, new Map([['flow', Date.parse('2026-03-01T10:00:00Z')], ['level', Date.parse('2026-03-01T09:00:00Z')]]));
    await repo.saveCursors(id, new Map([['flow', Date.parse('2026-03-01T08:00:00Z')]]));
    const cursors = await repo.loadCursors([id, ids['novus-1']!]);
    expect(cursors.get(id)).toEqual(new Map([['flow', Date.parse('2026-03-01T10:00:00Z')], ['level', Date.parse('2026-03-01T09:00:00Z')]]));
    expect(cursors.has(ids['novus-1']!)).toBe(false);
  });

  it('lists the frequencies of active collected points', async () => {
    expect(await repo.activeFrequencies(PROVIDERS)).toEqual([1, 5]);
    expect(await repo.activeFrequencies(['nettra'])).toEqual([5]);
  });
});

describe('TickClaimRepository', () => {
  let db: Db;
  let ticks: TickClaimRepository;
  const at = new Date('2026-03-01T10:00:00Z');
  const stats = { points: 1, ok: 1, no_data: 0, failed: 0, readings: 3, by_provider: {}, failed_points: [] };
  beforeAll(async () => {
    db = await openDb({ memory: true });
    await migrate(db);
    ticks = new TickClaimRepository(db);
  });
  afterAll(async () => db.close());

  it('gives a tick to the first claimer, and reports who holds which tick and whether it finished', async () => {
    expect(await ticks.claim(1, at, 'a')).toBe(true);
    expect(await ticks.claim(1, at, 'b')).toBe(false);
    expect(await ticks.claim(60, at, 'b')).toBe(true);
    await ticks.finish(60, at, stats);
    const states = await ticks.states([{ frequency: 1, at }, { frequency: 60, at }, { frequency: 5, at }]);
    expect([...states.keys()].sort((x, y) => x - y)).toEqual([1, 60]);
    expect(states.get(1)).toMatchObject({ claimedBy: 'a', finished: false });
    expect(states.get(60)).toMatchObject({ claimedBy: 'b', finished: true });
    expect(states.get(1)!.claimedAt).toBeInstanceOf(Date);
    expect(states.get(1)!.holderBeatAt).toBeNull();
    await ticks.beat('a', new Date('2026-03-01T10:00:20Z'));
    await ticks.beat('a', new Date('2026-03-01T10:00:25Z'));
    expect((await ticks.states([{ frequency: 1, at }])).get(1)!.holderBeatAt).toEqual(new Date('2026-03-01T10:00:25Z'));
  });

  it('gives a catch-up to one collector, again to the same one', async () => {
    expect(await ticks.claimCatchUp(5, at, 'a')).toBe(true);
    expect(await ticks.claimCatchUp(5, at, 'b')).toBe(false);
    expect(await ticks.claimCatchUp(5, at, 'a')).toBe(true);
    expect(await ticks.claimCatchUp(5, new Date(at.getTime() + 300_000), 'b')).toBe(true);
  });

  it('lets another collector take over a catch-up whose collector stopped beating, and only one', async () => {
    await ticks.beat('a', new Date('2026-03-01T10:00:00Z'));
    await ticks.beat('b', new Date('2026-03-01T10:00:40Z'));
    await ticks.beat('c', new Date('2026-03-01T10:00:40Z'));
    const t = new Date(at.getTime() + 600_000);
    expect(await ticks.claimCatchUp(5, t, 'a')).toBe(true);
    // a beat at 10:00:00: alive for a taker that counts beats since 09:59:50 …
    expect(await ticks.claimCatchUp(5, t, 'b', new Date('2026-03-01T09:59:50Z'))).toBe(false);
    // … dead for one that counts since 10:00:20; the first taker gets it, the next one finds b alive.
    expect(await ticks.claimCatchUp(5, t, 'b', new Date('2026-03-01T10:00:20Z'))).toBe(true);
    expect(await ticks.claimCatchUp(5, t, 'c', new Date('2026-03-01T10:00:20Z'))).toBe(false);
  });

  it('finds the newest tick per frequency', async () => {
    await ticks.claim(1, new Date('2026-03-01T10:01:00Z'), 'a');
    const last = await ticks.lastTicks([1, 5, 60]);
    expect(last).toEqual(new Map([[1, new Date('2026-03-01T10:01:00Z')], [60, at]]));
  });
});
