/** Points are cached in shards of consecutive ids: one write invalidates one shard, one read assembles a few. */
export const LATEST_SHARD_SIZE = 256;

/**
 * A shard, one `id<TAB>variables JSON` line per point, as UTF-8 bytes, and where each point's variables are
 * in them (two typed arrays). No string or object per point: with every point written each minute every
 * shard is read again every second, and 10,000 small strings living a second each are work for the
 * garbage collector of the API process. The answer is copied from these bytes.
 */
export class Shard {
  readonly bytes: Buffer;
  /** Per slot (point id modulo the shard size): start and end of its variables in `bytes`, or -1. */
  private readonly spans = new Int32Array(LATEST_SHARD_SIZE * 2).fill(-1);

  constructor(text: string) {
    const b = (this.bytes = Buffer.from(text));
    let pos = 0;
    while (pos < b.length) {
      let end = b.indexOf(NEWLINE, pos);
      if (end < 0) end = b.length;
      // The id's digits; tabs and newlines only separate (JSON escapes them, and UTF-8 never uses those bytes inside a character).
      let id = 0;
      let i = pos;
      for (let c = b[i]!; i < end && c >= 48 && c <= 57; c = b[++i]!) id = id * 10 + (c - 48);
      if (i > pos && i < end && b[i] === TAB) {
        const slot = (id % LATEST_SHARD_SIZE) * 2;
        this.spans[slot] = i + 1;
        this.spans[slot + 1] = end;
      }
      pos = end + 1;
    }
  }

  /** Whether this shard was read from `text`. */
  isOf(text: string): boolean {
    return Buffer.byteLength(text) === this.bytes.length && this.bytes.equals(Buffer.from(text));
  }

  /** The variables of a point of this shard as JSON text, undefined when it has none. */
  variablesOf(pointId: number): string | undefined {
    const [start, end] = this.span(pointId);
    return start < 0 ? undefined : this.bytes.toString('utf8', start, end);
  }

  /** Length in bytes of the point's variables JSON (`[]` when it has none). */
  variablesLength(pointId: number): number {
    const [start, end] = this.span(pointId);
    return start < 0 ? EMPTY.length : end - start;
  }

  /** Copies the point's variables JSON (`[]` when it has none) into `out` at `at`; returns the position after it. */
  copyVariables(pointId: number, out: Buffer, at: number): number {
    const [start, end] = this.span(pointId);
    return start < 0 ? at + EMPTY.copy(out, at) : at + this.bytes.copy(out, at, start, end);
  }

  /** Start and end of the point's variables in `bytes`; start -1 when it has none. */
  private span(pointId: number): [number, number] {
    const slot = (pointId % LATEST_SHARD_SIZE) * 2;
    return [this.spans[slot]!, this.spans[slot + 1]!];
  }
}
const NEWLINE = 10;
const TAB = 9;
const EMPTY = Buffer.from('[]');

/** The shard's text with the lines of `ids` replaced by their `fresh` variables (left out when they have none). */
export function patchShard(text: string, ids: readonly number[], fresh: ReadonlyMap<number, string>): string {
  const byPoint = new Map<number, string>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) byPoint.set(Number(line.slice(0, tab)), line.slice(tab + 1));
  }
  for (const id of ids) {
    const vars = fresh.get(id);
    if (vars === undefined) byPoint.delete(id);
    else byPoint.set(id, vars);
  }
  return [...byPoint].map(([id, vars]) => `${id}\t${vars}`).join('\n');
}
