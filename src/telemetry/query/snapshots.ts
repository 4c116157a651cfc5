import type { Clock } from '../../lib/clock.js';

export interface Snapshot<T> {
  value: T;
  /** When the build started: it holds every change announced before then. */
  builtAt: number;
  /** What the answer was built for (the caller's visible points): a different scope is never served. */
  scope: string;
  /** The change count when the build started; null when changes could not be counted (announcements down). */
  version: number | null;
}

export interface SnapshotTiming {
  /** While changes keep coming, a snapshot is rebuilt at most this often. */
  refreshMs: number;
  /** A snapshot older than this is never served; the request waits for a new one. */
  maxStalenessMs: number;
}

interface Entry<T> {
  current?: Snapshot<T>;
  rebuilding?: Promise<Snapshot<T>>;
}

/**
 * Stale-while-revalidate answers, one per key: a request is served the last built answer while it is
 * younger than `maxStalenessMs`; once it is `refreshMs` old and something changed since (or it reaches
 * `maxStalenessMs`), one rebuild starts in the background and later requests get its result. Only a
 * request finding no answer for its scope, or one too old, waits for a build. So whatever changes,
 * builds run at most about once per `refreshMs` per key, and an answer never misses a change announced
 * more than `maxStalenessMs` before it is served.
 */
export class Snapshots<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly timing: SnapshotTiming,
    /** Changes seen so far (any increase means the data may differ); null when unknown. */
    private readonly version: () => number | null,
    private readonly maxEntries = 32,
    private readonly onBackgroundError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * The answer for `key` in `scope`. `build` gets the previous value (to reuse what did not change) and
   * whether it runs in the background (no request waits for it: it may take its time).
   */
  async get(key: string, scope: string, build: (previous: T | undefined, background: boolean) => Promise<T>): Promise<Snapshot<T>> {
    const entry = this.entry(key);
    const s = entry.current;
    if (s && s.scope === scope) {
      const age = this.clock.now().getTime() - s.builtAt;
      const version = this.version();
      const changed = version === null || s.version !== version;
      if (age < this.timing.maxStalenessMs || (!changed && age < 2 * this.timing.maxStalenessMs)) {
        if ((changed && age >= this.timing.refreshMs) || age >= this.timing.maxStalenessMs) {
          this.rebuild(entry, scope, build, true).catch(this.onBackgroundError);
        }
        return s;
      }
    }
    for (;;) {
      const fresh = await this.rebuild(entry, scope, build, false);
      if (fresh.scope === scope) return fresh;
    }
  }

  /** One build per key at a time; a waiting request joins the one in flight. */
  private rebuild(entry: Entry<T>, scope: string, build: (previous: T | undefined, background: boolean) => Promise<T>, background: boolean) {
    entry.rebuilding ??= (async () => {
      try {
        const version = this.version();
        const builtAt = this.clock.now().getTime();
        const value = await build(entry.current?.value, background);
        const fresh = { value, builtAt, scope, version };
        entry.current = fresh;
        return fresh;
      } finally {
        entry.rebuilding = undefined;
      }
    })();
    return entry.rebuilding;
  }

  private entry(key: string): Entry<T> {
    let e = this.entries.get(key);
    if (e) this.entries.delete(key);
    else e = {};
    this.entries.set(key, e); // most recently used last
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return e;
  }
}
