/** What `onInvalidate` listeners receive when they cannot know which namespaces changed. */
export const ALL_NAMESPACES = '*';

/**
 * Namespaced cache with generation-based invalidation: `invalidate(ns)` bumps the namespace's
 * generation, so every entry written before is unreachable at once, in every process sharing the
 * store. A loader that started before an invalidation cannot write its (stale) result afterwards.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  /** Hits and misses of `cached()` reads on this cache. */
  readonly stats: CacheStats;
  /** Current generation of `ns` and the entry stored under it, if any. */
  read(ns: string, field: string): Promise<{ gen: string; value: string | undefined }>;
  /**
   * `read` with the entry as UTF-8 bytes, for large entries a process parses rather than keeps as text: no
   * string of the entry's size is made on the JS heap (with Redis the reply stays a Buffer). The same
   * unchanged entry comes back as the same Buffer, so a caller can tell it parsed it already by identity.
   */
  readBytes(ns: string, field: string): Promise<{ gen: string; value: Buffer | undefined }>;
  /** Current generation of `ns` (cheap: no entry travels). */
  generation(ns: string): Promise<string>;
  /** Stores only if `ns` is still at generation `gen`. */
  write(ns: string, field: string, value: string, ttlSeconds: number, gen: string): Promise<void>;
  invalidate(ns: string): Promise<void>;
  /**
   * Replaces the entry in one step if `ns` is still at generation `gen`: the generation moves on (as
   * with `invalidate`, announced to every process) and `value` is stored under the new one, so readers
   * find it ready instead of each loading it. False, and nothing changed, when the generation moved.
   * Load `value` after reading `gen`: then it holds every change announced up to `gen` plus yours.
   */
  swap(ns: string, field: string, gen: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** `invalidate` of several namespaces at once (one pass over the in-process store). */
  invalidateMany(namespaces: readonly string[]): Promise<void>;
  /**
   * Called (in every process) after `ns` was invalidated anywhere, and with `ALL_NAMESPACES` when
   * announcements may have been missed (the Redis subscriber reconnected): everything may have changed.
   */
  onInvalidate(listener: (ns: string) => void): void;
  /** Whether invalidations are being announced to this process right now (false while Redis pub/sub is down). */
  announcing(): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type CacheReadResult = 'hit' | 'miss';

/** Hits and misses of `cached()` reads on one cache, optionally reported on as they happen (to metrics). */
export class CacheStats {
  hits = 0;
  misses = 0;

  constructor(private readonly onRead?: (result: CacheReadResult) => void) {}

  record(result: CacheReadResult): void {
    if (result === 'hit') this.hits++;
    else this.misses++;
    this.onRead?.(result);
  }

  /** hits / (hits + misses); null before the first read. */
  hitRatio(): number | null {
    const total = this.hits + this.misses;
    return total > 0 ? this.hits / total : null;
  }
}

/** Loads in flight per cache, namespace, field and generation: concurrent misses share one load. */
const inFlight = new WeakMap<Cache, Map<string, Promise<string>>>();

/**
 * Read-through helper: returns the cached text or loads, stores and returns it. Concurrent misses
 * of one entry in this process wait for the same load instead of each querying the database.
 */
export function cached(cache: Cache, ns: string, field: string, ttlSeconds: number, load: () => Promise<string>): Promise<string> {
  return readThrough(cache, ns, field, ttlSeconds, load, cache.read(ns, field), (text) => text);
}

/** `cached` with the entry as UTF-8 bytes (see `Cache.readBytes`); a loaded entry is stored as text. */
export function cachedBytes(cache: Cache, ns: string, field: string, ttlSeconds: number, load: () => Promise<string>): Promise<Buffer> {
  return readThrough(cache, ns, field, ttlSeconds, load, cache.readBytes(ns, field), (text) => Buffer.from(text));
}

async function readThrough<V>(
  cache: Cache,
  ns: string,
  field: string,
  ttlSeconds: number,
  load: () => Promise<string>,
  read: Promise<{ gen: string; value: V | undefined }>,
  fromText: (text: string) => V,
): Promise<V> {
  const { gen, value } = await read;
  if (value !== undefined) {
    cache.stats.record('hit');
    return value;
  }
  cache.stats.record('miss');
  return fromText(await loadOnce(cache, ns, field, ttlSeconds, gen, load));
}

/** Loads a missing entry and stores it for generation `gen`; one load per entry and generation at a time in this process. */
function loadOnce(cache: Cache, ns: string, field: string, ttlSeconds: number, gen: string, load: () => Promise<string>): Promise<string> {
  let loads = inFlight.get(cache);
  if (!loads) inFlight.set(cache, (loads = new Map()));
  const key = `${ns}\u0000${field}\u0000${gen}`;
  let pending = loads.get(key);
  if (!pending) {
    const mine = loads;
    pending = (async () => {
      const fresh = await load();
      await cache.write(ns, field, fresh, ttlSeconds, gen);
      return fresh;
    })().finally(() => mine.delete(key));
    loads.set(key, pending);
  }
  return pending;
}
