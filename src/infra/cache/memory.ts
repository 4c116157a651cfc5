import { CacheStats, type Cache } from './cache.js';

interface Entry {
  value: string;
  /** The value as UTF-8, made on the first readBytes (then the same Buffer each time). */
  bytes?: Buffer;
  expiresAt: number;
}

/** In-process cache with the same generation semantics as the Redis one; bounded by `maxEntries`. */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly gens = new Map<string, number>();
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((ns: string) => void)[] = [];

  readonly stats: CacheStats;

  constructor(private readonly opts: { maxEntries?: number; now?: () => number; stats?: CacheStats } = {}) {
    this.stats = opts.stats ?? new CacheStats();
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async read(ns: string, field: string) {
    const { gen, e } = this.lookup(ns, field);
    return { gen, value: e?.value };
  }

  async readBytes(ns: string, field: string) {
    const { gen, e } = this.lookup(ns, field);
    if (e) e.bytes ??= Buffer.from(e.value);
    return { gen, value: e?.bytes };
  }

  private lookup(ns: string, field: string): { gen: string; e?: Entry } {
    const gen = String(this.gens.get(ns) ?? 0);
    const key = `${ns}\u0000${gen}\u0000${field}`;
    const e = this.entries.get(key);
    if (!e) return { gen };
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return { gen };
    }
    // LRU: re-insert moves the key to the end of the Map's order.
    this.entries.delete(key);
    this.entries.set(key, e);
    return { gen, e };
  }

  async write(ns: string, field: string, value: string, ttlSeconds: number, gen: string) {
    if (String(this.gens.get(ns) ?? 0) !== gen) return;
    this.store(ns, field, value, ttlSeconds, gen);
  }

  private store(ns: string, field: string, value: string, ttlSeconds: number, gen: string) {
    const key = `${ns}\u0000${gen}\u0000${field}`;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    const max = this.opts.maxEntries ?? 10_000;
    while (this.entries.size > max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  async generation(ns: string) {
    return String(this.gens.get(ns) ?? 0);
  }

  async swap(ns: string, field: string, gen: string, value: string, ttlSeconds: number) {
    if (String(this.gens.get(ns) ?? 0) !== gen) return false;
    // No await between the bump and the store: no reader can see the new generation without the entry.
    this.bump(ns);
    this.store(ns, field, value, ttlSeconds, String(this.gens.get(ns)));
    for (const l of this.listeners) l(ns);
    return true;
  }

  async invalidate(ns: string) {
    this.bump(ns);
    for (const l of this.listeners) l(ns);
  }

  private bump(ns: string) {
    this.gens.set(ns, (this.gens.get(ns) ?? 0) + 1);
    const prefix = `${ns}\u0000`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  async invalidateMany(namespaces: readonly string[]) {
    if (namespaces.length === 0) return;
    const prefixes = new Set<string>();
    for (const ns of namespaces) {
      this.gens.set(ns, (this.gens.get(ns) ?? 0) + 1);
      prefixes.add(ns);
    }
    for (const key of this.entries.keys()) if (prefixes.has(key.slice(0, key.indexOf('\u0000')))) this.entries.delete(key);
    for (const ns of prefixes) for (const l of this.listeners) l(ns);
  }

  onInvalidate(listener: (ns: string) => void) {
    this.listeners.push(listener);
  }

  announcing() {
    return true; // same process: every invalidation reaches the listeners synchronously
  }

  async ping() {}

  async close() {
    this.entries.clear();
  }
}
