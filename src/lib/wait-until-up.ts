/** Network errors of a server that is not there (yet): down, starting, its name not in DNS yet. */
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export function isTransientNetError(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every(isTransientNetError);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_NET.has(code);
}

export interface WaitOptions {
  /** Called before each wait with the error and the delay. */
  onRetry: (info: { attempt: number; delayMs: number; err: unknown }) => void;
  /** Delays grow from `firstDelayMs` (doubling) up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, waiting through errors `isTransient` accepts with a growing delay, for
 * as long as it takes (an orchestrator decides when to give up); any other error is thrown at once.
 */
export async function waitUntilUp<T>(attempt: () => Promise<T>, isTransient: (err: unknown) => boolean, opts: WaitOptions): Promise<T> {
  const first = opts.firstDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 5_000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err)) throw err;
      const delayMs = Math.min(max, first * 2 ** Math.min(n - 1, 16));
      opts.onRetry({ attempt: n, delayMs, err });
      await sleep(delayMs);
    }
  }
}
