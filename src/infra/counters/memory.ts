import type { Counters } from './counters.js';

/** In-process counters, at most `maxKeys` of them (the oldest go first), so unknown keys cannot fill memory. */
export class MemoryCounters implements Counters {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, { n: number; expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  private live(key: string) {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private set(key: string, n: number, ttlMs: number) {
    this.entries.delete(key);
    this.entries.set(key, { n, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  async add(key: string, ttlMs: number): Promise<number> {
    const n = (this.live(key)?.n ?? 0) + 1;
    this.set(key, n, ttlMs);
    return n;
  }

  async hold(key: string, ttlMs: number): Promise<void> {
    this.set(key, 1, ttlMs);
  }

  async remainingMs(key: string): Promise<number> {
    const e = this.live(key);
    return e ? e.expiresAt - this.now() : 0;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const k of keys) this.entries.delete(k);
  }

  clear(): void {
    this.entries.clear();
  }
}
