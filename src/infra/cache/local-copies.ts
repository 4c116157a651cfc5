import { ALL_NAMESPACES, type Cache } from './cache.js';
import { systemClock, type Clock } from '../../lib/clock.js';

/** Copies (and grants) a process keeps at most; the least recently refreshed go first. */
const LOCAL_COPIES_MAX = 10_000;

/**
 * When a process may use its own copy of a cache entry without asking the cache: for `ttlMs` after it
 * checked, unless an invalidation of the entry's namespace was announced meanwhile (the cache calls
 * `onInvalidate` in every process, at once for the in-process cache and over pub/sub for Redis). A
 * check that raced with an invalidation does not earn trust. While announcements are not arriving
 * (Redis pub/sub down) nothing is trusted, and when they resume every earlier grant is void, since
 * what was announced in between is lost.
 */
export class LocalTrust {
  /** Invalidations seen per namespace. */
  private readonly epochs = new Map<string, number>();
  /** Times announcements resumed after a gap: a grant from before does not count. */
  private era = 0;
  private readonly grants = new Map<string, { at: number; epoch: number; era: number }>();

  constructor(
    private readonly cache: Cache,
    /** Whether a namespace holds entries this process keeps copies of. */
    private readonly watches: (ns: string) => boolean,
    private readonly ttlMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    cache.onInvalidate((ns) => {
      if (ns === ALL_NAMESPACES) this.era++;
      else if (this.watches(ns)) this.epochs.set(ns, (this.epochs.get(ns) ?? 0) + 1);
    });
  }

  trusted(ns: string, field: string): boolean {
    return this.standing(ns, field) === 'trusted';
  }

  /**
   * `trusted` within `ttlMs` of the check; `unchanged` for another `ttlMs` after that when nothing was
   * announced for the namespace meanwhile (the copy is as current as the announcements say, only its time
   * is up); `unknown` otherwise.
   */
  standing(ns: string, field: string): 'trusted' | 'unchanged' | 'unknown' {
    const g = this.grants.get(`${ns}\u0000${field}`);
    if (g === undefined || g.epoch !== (this.epochs.get(ns) ?? 0) || g.era !== this.era || !this.cache.announcing()) return 'unknown';
    const now = this.clock.now().getTime();
    return now < g.at ? 'trusted' : now < g.at + this.ttlMs ? 'unchanged' : 'unknown';
  }

  /** Call before reading the cache; pass the result to `grant` once the local copy is up to date. */
  begin(ns: string): { epoch: number; era: number } {
    return { epoch: this.epochs.get(ns) ?? 0, era: this.era };
  }

  grant(ns: string, field: string, from: { epoch: number; era: number }): void {
    if ((this.epochs.get(ns) ?? 0) !== from.epoch || this.era !== from.era || !this.cache.announcing()) return;
    const key = `${ns}\u0000${field}`;
    this.grants.delete(key);
    this.grants.set(key, { at: this.clock.now().getTime() + this.ttlMs, ...from });
    if (this.grants.size > LOCAL_COPIES_MAX) this.grants.delete(this.grants.keys().next().value as string);
  }
}

/** How an entry is read through the cache: as text (`cached`) or as UTF-8 bytes (`cachedBytes`). */
export type ReadThrough<S> = (cache: Cache, ns: string, field: string, ttlSeconds: number, load: () => Promise<string>) => Promise<S>;

/**
 * This process's parsed copies of cache entries (latest-value shards, visible point ids, sessions): a
 * copy is returned as it is while LocalTrust allows; otherwise the entry is read through the cache
 * (loaded on a miss), as text or as bytes, and parsed again only when it changed.
 *
 * When the trust has only run out of time (nothing was announced for the namespace since the check, see
 * `LocalTrust.standing`), the copy is returned at once and checked again in the background: a request
 * never waits for the cache to confirm what the announcements already say, so a busy cache (the
 * processor swapping shards) does not show in the answer times of polled entries. A copy is then at most
 * two trust periods old, and only if an announcement was lost without the subscriber noticing.
 */
export class LocalCopies<T, S extends string | Buffer = string> {
  private readonly copies = new Map<string, T>();
  private readonly trust: LocalTrust;
  /** Keys being checked again in the background. */
  private readonly checking = new Set<string>();

  constructor(
    private readonly cache: Cache,
    watches: (ns: string) => boolean,
    ttlMs: number,
    private readonly readThrough: ReadThrough<S>,
    private readonly parse: (source: S) => T,
    /** Whether a copy was parsed from this text or these bytes (then it is kept, not parsed again). */
    private readonly parsedFrom: (copy: T, source: S) => boolean,
    clock: Clock = systemClock,
  ) {
    this.trust = new LocalTrust(cache, watches, ttlMs, clock);
  }

  async get(ns: string, field: string, ttlSeconds: number, load: () => Promise<string>): Promise<T> {
    const key = `${ns}\u0000${field}`;
    const copy = this.copies.get(key);
    if (copy) {
      const standing = this.trust.standing(ns, field);
      if (standing === 'trusted') return copy;
      if (standing === 'unchanged') {
        if (!this.checking.has(key)) {
          this.checking.add(key);
          // A failed check leaves the copy untrusted: the next read after the grace waits for the cache and sees the error.
          void this.refresh(key, ns, field, ttlSeconds, load)
            .catch(() => undefined)
            .finally(() => this.checking.delete(key));
        }
        return copy;
      }
    }
    return this.refresh(key, ns, field, ttlSeconds, load);
  }

  private async refresh(key: string, ns: string, field: string, ttlSeconds: number, load: () => Promise<string>): Promise<T> {
    const from = this.trust.begin(ns);
    const source = await this.readThrough(this.cache, ns, field, ttlSeconds, load);
    this.trust.grant(ns, field, from);
    const copy = this.copies.get(key);
    if (copy && this.parsedFrom(copy, source)) return copy;
    const fresh = this.parse(source);
    this.copies.delete(key);
    this.copies.set(key, fresh);
    if (this.copies.size > LOCAL_COPIES_MAX) this.copies.delete(this.copies.keys().next().value as string);
    return fresh;
  }
}
