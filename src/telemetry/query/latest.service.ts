import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Db } from '../../infra/db/index.js';
import type { Cache } from '../../infra/cache/index.js';
import { type Principal, tenantOf } from '../../auth/principal.js';
import { PointVisibility } from './visibility.js';
import { LocalCopies } from './local-trust.js';
import { LatestRepository } from './latest.repository.js';

/** Points are cached in shards of consecutive ids: one write invalidates one shard, one read assembles a few. */
export const LATEST_SHARD_SIZE = 256;
/** The refresh after each write keeps entries fresh; the TTL only bounds a missed one. */
export const LATEST_TTL_SECONDS = 120;
const SHARD_NS = 'latest-values:';
/** How long this process serves its copy of a shard without asking the cache, absent an invalidation. */
export const LATEST_LOCAL_TRUST_MS = 1000;

export interface LatestVariable {
  variable: string;
  value: number | string | boolean | null;
  timestamp: string;
  quality_score: number;
}

export interface PointLatest {
  point_id: number;
  variables: LatestVariable[];
}

interface Shard {
  text: string;
  /** point id → JSON text of its variables array. */
  byPoint: Map<number, string>;
}

/** A shard's text, one `id<TAB>variables JSON` line per point, indexed by point id. */
function parseShard(text: string): Shard {
  const byPoint = new Map<number, string>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) byPoint.set(Number(line.slice(0, tab)), line.slice(tab + 1));
  }
  return { text, byPoint };
}

const shardOf = (pointId: number) => Math.floor(pointId / LATEST_SHARD_SIZE);
const gzip = promisify(gzipCallback);
/** Below this size compressing costs more than it saves. */
const GZIP_MIN_BYTES = 16 * 1024;

/**
 * Latest value of every variable of a point, from `latest_values` (which the processor upserts),
 * served from the cache. The cache holds one entry per shard of points, each a list of
 * `point id → variables JSON`; the dashboard of all visible points is assembled from those fragments
 * and, while no shard changed, handed back as the same bytes. After a flush the shards are reloaded
 * from `latest_values`, never from the measurement history.
 */
export class LatestValuesService {
  private readonly assembled = new Map<string, { parts: string[]; bytes: Buffer; gzipped?: Promise<Buffer> }>();

  private readonly visibility: PointVisibility;
  private readonly copies: LocalCopies<Shard>;
  private readonly repo: LatestRepository;

  constructor(private readonly deps: { db: Db; cache: Cache; visibility?: PointVisibility; gzipMinBytes?: number }) {
    this.repo = new LatestRepository(deps.db);
    this.visibility = deps.visibility ?? new PointVisibility(deps);
    // With Redis, 40 shard reads per dashboard are 40 round trips of Lua; between writes the shards do
    // not change, and every write announces itself to every process.
    this.copies = new LocalCopies(deps.cache, (ns) => ns.startsWith(SHARD_NS), LATEST_LOCAL_TRUST_MS, parseShard);
  }

  /**
   * The processor calls this after each commit with the points it wrote. Each of their shards is
   * reloaded here and swapped into the cache in one step (every process hears of it), so dashboards
   * find it ready rather than each reloading 40 shards after every write. The generation is read
   * before the load, so the swap only lands if no other write was announced meanwhile; otherwise the
   * shard is just invalidated and the next read reloads it.
   */
  async onWritten(pointIds: readonly number[]): Promise<void> {
    const shards = new Set<number>();
    for (const id of pointIds) shards.add(shardOf(Number(id)));
    await Promise.all(
      [...shards].map(async (k) => {
        const ns = SHARD_NS + k;
        let swapped = false;
        try {
          const gen = await this.deps.cache.generation(ns);
          const text = await this.loadShard(k);
          swapped = await this.deps.cache.swap(ns, 'v', gen, text, LATEST_TTL_SECONDS);
        } catch {
          // Reloading is an optimisation; the invalidation below is what keeps readers correct (a
          // re-delivered batch stores nothing new, so it would not call this again).
        }
        if (!swapped) await this.deps.cache.invalidate(ns);
      }),
    );
  }

  async forPoint(actor: Principal, pointId: number): Promise<PointLatest> {
    await this.visibility.assertVisible(actor, pointId);
    const shard = await this.shard(shardOf(pointId));
    return { point_id: pointId, variables: JSON.parse(shard.byPoint.get(pointId) ?? '[]') as LatestVariable[] };
  }

  /** Every point the actor may see (or those of `pointIds` it may see), ascending id. */
  async forPoints(actor: Principal, pointIds?: readonly number[]): Promise<{ items: PointLatest[]; total: number }> {
    return JSON.parse((await this.forPointsJson(actor, pointIds)).toString('utf8')) as { items: PointLatest[]; total: number };
  }

  /**
   * `{"items":[{"point_id","variables":[…]}],"total":N}` as bytes. Ids the actor may not see, or that
   * do not exist, are left out.
   */
  async forPointsJson(actor: Principal, pointIds?: readonly number[]): Promise<Buffer> {
    return (await this.assemble(actor, pointIds)).bytes;
  }

  /**
   * The same answer gzip-compressed when that is worth it, compressed once per change of the data
   * (a dashboard of 10,000 points is ~3 MB of JSON and ~200 kB gzipped); null when not worth it.
   */
  async forPointsGzip(actor: Principal, pointIds?: readonly number[]): Promise<Buffer | null> {
    const memo = await this.assemble(actor, pointIds);
    if (memo.bytes.length < (this.deps.gzipMinBytes ?? GZIP_MIN_BYTES)) return null;
    memo.gzipped ??= gzip(memo.bytes, { level: 6 });
    return memo.gzipped;
  }

  private async assemble(actor: Principal, pointIds?: readonly number[]): Promise<{ parts: string[]; bytes: Buffer; gzipped?: Promise<Buffer> }> {
    const visible = await this.visibility.visible(actor);
    const ids = pointIds ? [...new Set(pointIds)].filter((id) => visible.set.has(id)).sort((a, b) => a - b) : visible.ids;
    const shardIds = [...new Set(ids.map(shardOf))];
    const shards = await Promise.all(shardIds.map((k) => this.shard(k)));

    const memoKey = `${tenantOf(actor) ?? '*'}|${pointIds ? ids.join(',') : 'all'}`;
    const parts = [visible.text, ...shards.map((s) => s.text)];
    const memo = this.assembled.get(memoKey);
    if (memo && memo.parts.length === parts.length && memo.parts.every((p, i) => p === parts[i])) return memo;

    const byShard = new Map(shardIds.map((k, i) => [k, shards[i]!]));
    const items: string[] = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      items[i] = `{"point_id":${id},"variables":${byShard.get(shardOf(id))!.byPoint.get(id) ?? '[]'}}`;
    }
    const bytes = Buffer.from(`{"items":[${items.join(',')}],"total":${ids.length}}`);
    const fresh = { parts, bytes };
    this.assembled.delete(memoKey);
    this.assembled.set(memoKey, fresh);
    if (this.assembled.size > 32) this.assembled.delete(this.assembled.keys().next().value as string);
    return fresh;
  }

  private shard(k: number): Promise<Shard> {
    return this.copies.get(SHARD_NS + k, 'v', LATEST_TTL_SECONDS, () => this.loadShard(k));
  }

  private loadShard(k: number): Promise<string> {
    return this.repo.shardText(k * LATEST_SHARD_SIZE, (k + 1) * LATEST_SHARD_SIZE);
  }
}
