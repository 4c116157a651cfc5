/**
 * What processing applied to a reading (`processing_config`), built so that readings share it: most readings of a
 * series carry one frozen object (their variable's configuration, a totalizer's offset, a unit conversion), and the
 * COPY writer encodes its JSON once. A reading-specific number (a level's water column) is set on a plain object
 * that also says which shared object it extends (`readingPart`), so its JSON is that object's plus one number.
 */
export type Applied = Readonly<Record<string, unknown>>;

export const NOTHING_APPLIED: Applied = Object.freeze({});

const READING_PART = Symbol('processing_config: shared part and the reading own number');

interface ReadingPart {
  shared: Applied;
  key: string;
  value: number;
}

/**
 * `{ ...shared, [key]: value }`, remembering that it is `shared` plus one number. `shared` must be frozen and must
 * not hold `key`. (The note is a symbol-keyed property: JSON.stringify and the database never see it.)
 */
export function withReadingValue(shared: Applied, key: string, value: number): Applied {
  return { ...shared, [key]: value, [READING_PART]: { shared, key, value } satisfies ReadingPart };
}

/** The shared object and the number `applied` was made of by `withReadingValue`, if it was. */
export function readingPart(applied: Applied): ReadingPart | undefined {
  return (applied as { [READING_PART]?: ReadingPart })[READING_PART];
}

/** `{ ...base, ...extra }`. When both are shared (frozen), so is the result (one per pair, kept while both are). */
export function mergeApplied(base: Applied, extra: Applied): Applied {
  if (isEmpty(extra)) return base;
  if (isEmpty(base)) return extra;
  if (!Object.isFrozen(base) || !Object.isFrozen(extra)) return { ...base, ...extra };
  let withBase = merged.get(base);
  if (!withBase) merged.set(base, (withBase = new WeakMap()));
  let both = withBase.get(extra);
  if (!both) withBase.set(extra, (both = Object.freeze({ ...base, ...extra })));
  return both;
}
const merged = new WeakMap<object, WeakMap<object, Applied>>();

/**
 * A frozen object for values that repeat (a unit conversion, a sensor position, a totalizer offset): one per set
 * of values, from a bounded table per kind (past `MAX_SHARED` entries it starts over).
 */
export class SharedApplied<K> {
  private readonly table = new Map<K, Applied>();
  constructor(private readonly make: (key: K) => Record<string, unknown>) {}
  get(key: K): Applied {
    let applied = this.table.get(key);
    if (!applied) {
      if (this.table.size >= MAX_SHARED) this.table.clear();
      this.table.set(key, (applied = Object.freeze(this.make(key))));
    }
    return applied;
  }
}
const MAX_SHARED = 10_000;

export function isEmpty(o: Applied): boolean {
  for (const _ in o) return false;
  return true;
}
