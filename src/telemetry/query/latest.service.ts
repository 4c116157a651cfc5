import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Db } from '../../infra/db/index.js';
import { ALL_NAMESPACES, type Cache } from '../../infra/cache/index.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { type Principal, tenantOf } from '../../auth/principal.js';
import { PointVisibility } from './visibility.js';
import { LocalCopies } from './local-trust.js';
import { LatestRepository } from './latest.repository.js';
import { Snapshots, type SnapshotTiming } from './snapshots.js';
import { nextTurn } from '../../lib/event-loop.js';

/** Points are cached in shards of consecutive ids: one write invalidates one shard, one read assembles a few. */
export const LATEST_SHARD_SIZE = 256;
/** The refresh after each write keeps entries fresh; the TTL only bounds a missed one. */
export const LATEST_TTL_SECONDS = 120;
const SHARD_NS = 'latest-values:';
/** How long this process serves its copy of a shard without asking the cache, absent an invalidation. */
export const LATEST_LOCAL_TRUST_MS = 1000;
/**
 * The answer of every point (or a list of points) is rebuilt in the background at most once a second
 * while values keep changing, and never served older than five seconds: a value in the cache shows
 * within that bound. The margin over the refresh is for a rebuild held up by the processor (on the
 * embedded database its writes run in this thread): a poll then gets the previous snapshot instead of
 * waiting for the database.
 */
export const LATEST_SNAPSHOT_TIMING: SnapshotTiming = { refreshMs: 1000, maxStalenessMs: 5000 };

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

/** The shard's text with the lines of `ids` replaced by their `fresh` variables (left out when they have none). */
export function patchShard(text: string, ids: readonly number[], fresh: ReadonlyMap<number, string>): string {
  const { byPoint } = parseShard(text);
  for (const id of ids) {
    const vars = fresh.get(id);
    if (vars === undefined) byPoint.delete(id);
    else byPoint.set(id, vars);
  }
  return [...byPoint].map(([id, vars]) => `${id}\t${vars}`).join('\n');
}

const shardOf = (pointId: number) => Math.floor(pointId / LATEST_SHARD_SIZE);
const gzip = promisify(gzipCallback);
/** Below this size compressing costs more than it saves. */
const GZIP_MIN_BYTES = 16 * 1024;
/** Points assembled between two yields to the event loop while a snapshot is built. */
const ASSEMBLY_CHUNK = 500;

interface Assembled {
  /** The visible ids text and the shard texts it was assembled from. */
  parts: string[];
  bytes: Buffer;
  gzipped?: Promise<Buffer>;
}

/** The answer of `GET /latest`: the JSON (or its gzip) and when the snapshot it comes from was taken. */
export interface LatestAnswer {
  body: Buffer;
  gzipped: boolean;
  snapshotAt: Date;
}

/**
 * Latest value of every variable of a point, from `latest_values` (which the processor upserts),
 * served from the cache. The cache holds one entry per shard of points, each a list of
 * `point id → variables JSON`. One point's values are read from its shard as it is now. The dashboard
 * of all visible points is assembled from those fragments into a snapshot (stale-while-revalidate,
 * `LATEST_SNAPSHOT_TIMING`): with every point written each minute every shard changes every second,
 * and re-assembling ~3 MB on each request would make every poll pay for it. The visible points are
 * checked on each request, so a snapshot never shows a point to a caller who may not see it now.
 * After a flush the shards are reloaded from `latest_values`, never from the measurement history.
 */
export class LatestValuesService {
  private readonly snapshots: Snapshots<Assembled>;
  private readonly visibility: PointVisibility;
  private readonly copies: LocalCopies<Shard>;
  private readonly repo: LatestRepository;
  /** Shard changes announced to this process (any process's writes). */
  private changes = 0;

  constructor(
    private readonly deps: {
      db: Db;
      cache: Cache;
      visibility?: PointVisibility;
      gzipMinBytes?: number;
      clock?: Clock;
      snapshotTiming?: SnapshotTiming;
      onError?: (err: unknown) => void;
    },
  ) {
    this.repo = new LatestRepository(deps.db);
    this.visibility = deps.visibility ?? new PointVisibility(deps);
    // With Redis, 40 shard reads per dashboard are 40 round trips of Lua; between writes the shards do
    // not change, and every write announces itself to every process.
    this.copies = new LocalCopies(deps.cache, (ns) => ns.startsWith(SHARD_NS), LATEST_LOCAL_TRUST_MS, parseShard);
    deps.cache.onInvalidate((ns) => {
      if (ns === ALL_NAMESPACES || ns.startsWith(SHARD_NS)) this.changes++;
    });
    this.snapshots = new Snapshots<Assembled>(
      deps.clock ?? systemClock,
      deps.snapshotTiming ?? LATEST_SNAPSHOT_TIMING,
      () => (deps.cache.announcing() ? this.changes : null),
      32,
      deps.onError,
    );
  }

  /**
   * The processor calls this after each commit with the points it wrote. Each of their shards is
   * brought up to date here and swapped into the cache in one step (every process hears of it), so
   * readers find it ready rather than each reloading it. The shard as cached is read with its
   * generation, and only the written points are loaded again (with every point written each minute,
   * reloading whole shards would read every latest value every second); a shard not cached is loaded
   * whole. The swap only lands if no other write was announced since that generation (then the text
   * holds every change announced up to it plus these); otherwise the shard is just invalidated and the
   * next read reloads it.
   */
  async onWritten(pointIds: readonly number[]): Promise<void> {
    const byShard = new Map<number, number[]>();
    for (const raw of pointIds) {
      const id = Number(raw);
      const k = shardOf(id);
      const ids = byShard.get(k);
      if (ids) ids.push(id);
      else byShard.set(k, [id]);
    }
    const cachedShards = await Promise.all(
      [...byShard.keys()].map(async (k) => ({ k, ...(await this.deps.cache.read(SHARD_NS + k, 'v').catch(() => undefined)) })),
    );
    const patched = cachedShards.filter((c) => c.value !== undefined).flatMap((c) => byShard.get(c.k)!);
    const fresh = patched.length > 0 ? await this.repo.pointsVariables(patched).catch(() => null) : new Map<number, string>();
    // One shard patched (and handed to the cache) per turn of the event loop: with every point written
    // each minute a batch touches every shard, and patching them all at once would hold up requests.
    const swaps: Promise<void>[] = [];
    for (const shard of cachedShards) {
      if (swaps.length > 0) await nextTurn();
      swaps.push(this.refreshShard(shard, byShard.get(shard.k)!, fresh));
    }
    await Promise.all(swaps);
  }

  private async refreshShard(
    { k, gen, value }: { k: number; gen?: string; value?: string },
    ids: readonly number[],
    fresh: ReadonlyMap<number, string> | null,
  ): Promise<void> {
    const ns = SHARD_NS + k;
    let swapped = false;
    try {
      if (gen !== undefined && value !== undefined && fresh) {
        swapped = await this.deps.cache.swap(ns, 'v', gen, patchShard(value, ids, fresh), LATEST_TTL_SECONDS);
      } else if (value === undefined) {
        const current = await this.deps.cache.generation(ns);
        swapped = await this.deps.cache.swap(ns, 'v', current, await this.loadShard(k), LATEST_TTL_SECONDS);
      }
    } catch {
      // Refreshing is an optimisation; the invalidation below is what keeps readers correct (a
      // re-delivered batch stores nothing new, so it would not call this again).
    }
    if (!swapped) await this.deps.cache.invalidate(ns);
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
    return (await this.answer(actor, pointIds, false)).body;
  }

  /**
   * The same answer gzip-compressed when that is worth it, compressed once per snapshot (a dashboard
   * of 10,000 points is ~3 MB of JSON and ~200 kB gzipped); null when not worth it.
   */
  async forPointsGzip(actor: Principal, pointIds?: readonly number[]): Promise<Buffer | null> {
    const a = await this.answer(actor, pointIds, true);
    return a.gzipped ? a.body : null;
  }

  /** The answer of `GET /latest`: gzip-compressed when asked for and worth it, with its snapshot time. */
  async answer(actor: Principal, pointIds: readonly number[] | undefined, acceptsGzip: boolean): Promise<LatestAnswer> {
    const visible = await this.visibility.visible(actor);
    const ids = pointIds ? [...new Set(pointIds)].filter((id) => visible.set.has(id)).sort((a, b) => a - b) : visible.ids;
    const key = `${tenantOf(actor) ?? '*'}|${pointIds ? ids.join(',') : 'all'}`;
    const s = await this.snapshots.get(key, visible.text, (previous, background) => this.assemble(visible.text, ids, previous, background));
    const snapshotAt = new Date(s.builtAt);
    if (acceptsGzip && s.value.bytes.length >= (this.deps.gzipMinBytes ?? GZIP_MIN_BYTES)) {
      s.value.gzipped ??= gzip(s.value.bytes, { level: 6 });
      return { body: await s.value.gzipped, gzipped: true, snapshotAt };
    }
    return { body: s.value.bytes, gzipped: false, snapshotAt };
  }

  /**
   * The answer for `ids` from the shards as they are now; the previous bytes when no shard changed.
   * In the background it yields to the event loop between chunks of points and compresses the new
   * bytes before they are served if the previous ones were asked for compressed, so requests served
   * meanwhile are not held up.
   */
  private async assemble(visibleText: string, ids: readonly number[], previous: Assembled | undefined, background: boolean): Promise<Assembled> {
    const shardIds = [...new Set(ids.map(shardOf))];
    let shards: Shard[];
    if (background) {
      // Changed shards are parsed again as they arrive: one per turn, not all of them in one.
      shards = [];
      for (const k of shardIds) {
        shards.push(await this.shard(k));
        await nextTurn();
      }
    } else shards = await Promise.all(shardIds.map((k) => this.shard(k)));
    const parts = [visibleText, ...shards.map((s) => s.text)];
    if (previous && previous.parts.length === parts.length && previous.parts.every((p, i) => p === parts[i])) return previous;

    const byShard = new Map(shardIds.map((k, i) => [k, shards[i]!]));
    const chunks: Buffer[] = [];
    for (let from = 0; from < ids.length || from === 0; from += ASSEMBLY_CHUNK) {
      const to = Math.min(ids.length, from + ASSEMBLY_CHUNK);
      const items: string[] = [];
      for (let i = from; i < to; i++) {
        const id = ids[i]!;
        items.push(`{"point_id":${id},"variables":${byShard.get(shardOf(id))!.byPoint.get(id) ?? '[]'}}`);
      }
      const open = from === 0 ? '{"items":[' : ',';
      const close = to === ids.length ? `],"total":${ids.length}}` : '';
      chunks.push(Buffer.from(open + items.join(',') + close));
      if (background && to < ids.length) await nextTurn();
    }
    const fresh: Assembled = { parts, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
    if (background && previous?.gzipped && fresh.bytes.length >= (this.deps.gzipMinBytes ?? GZIP_MIN_BYTES)) {
      fresh.gzipped = gzip(fresh.bytes, { level: 6 });
      await fresh.gzipped;
    }
    return fresh;
  }

  private shard(k: number): Promise<Shard> {
    return this.copies.get(SHARD_NS + k, 'v', LATEST_TTL_SECONDS, () => this.loadShard(k));
  }

  private loadShard(k: number): Promise<string> {
    return this.repo.shardText(k * LATEST_SHARD_SIZE, (k + 1) * LATEST_SHARD_SIZE);
  }
}
