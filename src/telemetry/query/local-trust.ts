import { ALL_NAMESPACES, cached, type Cache } from '../../infra/cache/index.js';
import { systemClock, type Clock } from '../../lib/clock.js';

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
    const g = this.grants.get(`${ns}\u0000${field}`);
    return (
      g !== undefined && g.at > this.clock.now().getTime() && g.epoch === (this.epochs.get(ns) ?? 0) && g.era === this.era && this.cache.announcing()
    );
  }

  /** Call before reading the cache; pass the result to `grant` once the local copy is up to date. */
  begin(ns: string): { epoch: number; era: number } {
    return { epoch: this.epochs.get(ns) ?? 0, era: this.era };
  }

  grant(ns: string, field: string, from: { epoch: number; era: number }): void {
    if ((this.epochs.get(ns) ?? 0) !== from.epoch || this.era !== from.era || !this.cache.announcing()) return;
    this.grants.set(`${ns}\u0000${field}`, { at: this.clock.now().getTime() + this.ttlMs, ...from });
  }
}

/** How an entry is read through the cache: as text (`cached`) or as UTF-8 bytes (`cachedBytes`). */
export type ReadThrough<S> = (cache: Cache, ns: string, field: string, ttlSeconds: number, load: () => Promise<string>) => Promise<S>;

/**
 * This process's parsed copies of cache entries (latest-value shards, visible point ids): a copy is
 * returned as it is while LocalTrust allows; otherwise the entry is read through the cache (loaded on a
 * miss), as text or as bytes, and parsed again only when it changed.
 */
export class LocalCopies<T, S extends string | Buffer = string> {
  private readonly copies = new Map<string, T>();
  private readonly trust: LocalTrust;

  constructor(
    private readonly cache: Cache,
    watches: (ns: string) => boolean,
    ttlMs: number,
    private readonly readThrough: ReadThrough<S>,
    private readonly parse: (source: S) => T,
    /** Whether a copy was parsed from this text or these bytes (then it is kept, not parsed again). */
    private readonly parsedFrom: (copy: T, source: S) => boolean,
  ) {
    this.trust = new LocalTrust(cache, watches, ttlMs);
  }

  async get(ns: string, field: string, ttlSeconds: number, load: () => Promise<string>): Promise<T> {
    const key = `${ns}\u0000${field}`;
    const trusted = this.copies.get(key);
    if (trusted && this.trust.trusted(ns, field)) return trusted;
    const from = this.trust.begin(ns);
    const source = await this.readThrough(this.cache, ns, field, ttlSeconds, load);
    this.trust.grant(ns, field, from);
    const copy = this.copies.get(key);
    if (copy && this.parsedFrom(copy, source)) return copy;
    const fresh = this.parse(source);
    this.copies.set(key, fresh);
    return fresh;
  }
}
