import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Db } from '../../infra/db/index.js';
import { ALL_NAMESPACES, cachedBytes, LocalCopies, type Cache } from '../../infra/cache/index.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { type Principal, tenantOf } from '../../auth/principal.js';
import { PointVisibility } from './visibility.js';
import { LatestRepository } from './latest.repository.js';
import { Snapshots, type SnapshotTiming } from './snapshots.js';
import { nextTurn } from '../../lib/event-loop.js';
import { LATEST_SHARD_SIZE, patchShard, Shard } from './latest-shard.js';

export { LATEST_SHARD_SIZE, patchShard } from './latest-shard.js';

/** The refresh after each write keeps entries fresh; the TTL only bounds a missed one. */
export const LATEST_TTL_SECONDS = 120;
const SHARD_NS = 'latest-values:';
/** Tries of a shard's swap after a write before it is invalidated instead (see onWritten). */
export const LATEST_SWAP_TRIES = 3;
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

const shardOf = (pointId: number) => Math.floor(pointId / LATEST_SHARD_SIZE);
const gzip = promisify(gzipCallback);
/** Below this size compressing costs more than it saves. */
const GZIP_MIN_BYTES = 16 * 1024;
/** Points assembled between two yields to the event loop while a snapshot is built (~0.2 ms of copying). */
const ASSEMBLY_CHUNK = 500;
const ITEMS_OPEN = Buffer.from('{"items":[');
const ITEM_OPEN = Buffer.from('{"point_id":');
const ITEM_MIDDLE = Buffer.from(',"variables":');
const COMMA = 44;
const CLOSE_BRACE = 125;
/** Decimal digits of a point id. */
function digits(id: number): number {
  let n = 1;
  for (let x = id; x >= 10; x = Math.floor(x / 10)) n++;
  return n;
}

interface Assembled {
  /** The visible ids text and the shards it was assembled from. */
  parts: (string | Shard)[];
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
  private readonly copies: LocalCopies<Shard, Buffer>;
  private readonly repo: LatestRepository;
  /** Shard changes announced to this process (any process's writes). */
  private changes = 0;
  /** The refresh running now (settled when none is), and the one gathering points to run after it. */
  private refreshing: Promise<unknown> = Promise.resolve();
  private nextRefresh: { ids: Set<number>; done: Promise<void> } | undefined;

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
    // Shards are read as bytes: no 75 kB string per shard and second on the heap of the API process.
    this.copies = new LocalCopies(deps.cache, (ns) => ns.startsWith(SHARD_NS), LATEST_LOCAL_TRUST_MS, cachedBytes, (bytes) => new Shard(bytes), (shard, bytes) => shard.isOf(bytes));
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
   * reloading whole shards would read every latest value every second); a shard not cached is only
   * invalidated (with nobody reading latest values, writes cost no shard loads). The swap only lands if
   * no other write was announced since that generation (then the text holds every change announced up
   * to it plus these). A swap lost to another writer (two consumers
   * writing points of the same shard at once, which with every point written each minute is most
   * shards every second) is tried again from the newer generation, its points loaded again after it;
   * after `LATEST_SWAP_TRIES` the shard is just invalidated and the next read reloads it whole from
   * the database.
   *
   * Writes announced while a refresh runs (the processor's consumers commit at once, each with points
   * of most shards) are gathered into the one refresh that starts after it: each shard is read, patched
   * and swapped once for all of them rather than once per commit, and each caller's promise resolves
   * once a refresh that began after its call is done.
   */
  onWritten(pointIds: readonly number[]): Promise<void> {
    let next = this.nextRefresh;
    if (!next) {
      const ids = new Set<number>();
      const done = this.refreshing.then(() => {
        this.nextRefresh = undefined;
        return this.refresh(ids);
      });
      next = this.nextRefresh = { ids, done };
      this.refreshing = done.catch(() => undefined);
    }
    for (const id of pointIds) next.ids.add(Number(id));
    return next.done;
  }

  /** Brings the shards of `pointIds` up to date in the cache (see onWritten). */
  private async refresh(pointIds: ReadonlySet<number>): Promise<void> {
    let pending = new Map<number, number[]>();
    for (const id of pointIds) {
      const k = shardOf(id);
      const ids = pending.get(k);
      if (ids) ids.push(id);
      else pending.set(k, [id]);
    }
    for (let attempt = 1; pending.size > 0; attempt++) {
      const last = attempt >= LATEST_SWAP_TRIES;
      const lost = await this.refreshShards(pending, last);
      pending = new Map([...pending].filter(([k]) => lost.has(k)));
    }
  }

  /** One try of onWritten for `byShard`; returns the shards whose swap was lost to another writer (invalidated instead when `last`). */
  private async refreshShards(byShard: ReadonlyMap<number, number[]>, last: boolean): Promise<Set<number>> {
    const cachedShards = await Promise.all(
      [...byShard.keys()].map(async (k) => ({ k, ...(await this.deps.cache.read(SHARD_NS + k, 'v').catch(() => undefined)) })),
    );
    const patched = cachedShards.filter((c) => c.value !== undefined).flatMap((c) => byShard.get(c.k)!);
    const fresh = patched.length > 0 ? await this.repo.pointsVariables(patched).catch(() => null) : new Map<number, string>();
    // One shard patched (and handed to the cache) per turn of the event loop: with every point written
    // each minute a batch touches every shard, and patching them all at once would hold up requests.
    const lost = new Set<number>();
    const swaps: Promise<void>[] = [];
    for (const shard of cachedShards) {
      if (swaps.length > 0) await nextTurn();
      swaps.push(
        this.refreshShard(shard, byShard.get(shard.k)!, fresh, last).then((outcome) => {
          if (outcome === 'lost') lost.add(shard.k);
        }),
      );
    }
    await Promise.all(swaps);
    return lost;
  }

  private async refreshShard(
    { k, gen, value }: { k: number; gen?: string; value?: string },
    ids: readonly number[],
    fresh: ReadonlyMap<number, string> | null,
    last: boolean,
  ): Promise<'swapped' | 'lost' | 'invalidated'> {
    const ns = SHARD_NS + k;
    let swapped = false;
    let raced = false;
    try {
      if (gen !== undefined && value !== undefined && fresh) {
        swapped = await this.deps.cache.swap(ns, 'v', gen, patchShard(value, ids, fresh), LATEST_TTL_SECONDS);
        raced = !swapped;
      }
    } catch {
      // Refreshing is an optimisation; the invalidation below is what keeps readers correct (a
      // re-delivered batch stores nothing new, so it would not call this again).
    }
    // A shard not cached is only invalidated (a reader loading it meanwhile does not store what it read
    // before this write): nobody reads it now, and the first reader loads it whole anyway.
    if (swapped) return 'swapped';
    if (raced && !last) return 'lost';
    await this.deps.cache.invalidate(ns);
    return 'invalidated';
  }

  async forPoint(actor: Principal, pointId: number): Promise<PointLatest> {
    await this.visibility.assertVisible(actor, pointId);
    const shard = await this.shard(shardOf(pointId));
    return { point_id: pointId, variables: JSON.parse(shard.variablesOf(pointId) ?? '[]') as LatestVariable[] };
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
    // The shards of `ids` (ascending), without a set of 10,000 entries living through the whole build.
    const shardIds: number[] = [];
    for (const id of ids) if (shardIds.at(-1) !== shardOf(id)) shardIds.push(shardOf(id));
    let shards: Shard[];
    if (background) {
      // Changed shards are parsed again as they arrive: one per turn, not all of them in one.
      shards = [];
      for (const k of shardIds) {
        shards.push(await this.shard(k));
        await nextTurn();
      }
    } else shards = await Promise.all(shardIds.map((k) => this.shard(k)));
    const parts = [visibleText, ...shards];
    if (previous && previous.parts.length === parts.length && previous.parts.every((p, i) => p === parts[i])) return previous;

    // `{"items":[{"point_id":1,"variables":[…]},…],"total":N}` written straight into one buffer: its size is
    // known from the shards, and each point's variables are copied from its shard's bytes.
    const byShard = new Map(shardIds.map((k, i) => [k, shards[i]!]));
    const close = `],"total":${ids.length}}`;
    let size = ITEMS_OPEN.length + close.length + Math.max(0, ids.length - 1);
    for (const id of ids) size += ITEM_OPEN.length + digits(id) + ITEM_MIDDLE.length + byShard.get(shardOf(id))!.variablesLength(id) + 1;
    const bytes = Buffer.allocUnsafe(size);
    let at = ITEMS_OPEN.copy(bytes, 0);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (i > 0) bytes[at++] = COMMA;
      at += ITEM_OPEN.copy(bytes, at);
      at += bytes.write(String(id), at, 'latin1');
      at += ITEM_MIDDLE.copy(bytes, at);
      at = byShard.get(shardOf(id))!.copyVariables(id, bytes, at);
      bytes[at++] = CLOSE_BRACE;
      if (background && (i + 1) % ASSEMBLY_CHUNK === 0) await nextTurn();
    }
    at += bytes.write(close, at, 'latin1');
    if (at !== size) throw new Error(`latest values: assembled ${at} bytes where ${size} were counted`);
    const fresh: Assembled = { parts, bytes };
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
