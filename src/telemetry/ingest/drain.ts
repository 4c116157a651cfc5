import type { Bus } from '../../infra/bus/index.js';
import { SECOND_MS } from '../../lib/time.js';

/**
 * Resolves once consumer group `group` has committed everything published on `topics` so far. The
 * processor commits a batch's offsets only after its database transaction, so lag 0 means every
 * reading is stored or dead-lettered. Throws when the lag has not shrunk for `stallMs` (a processor
 * failing the same batch again and again), instead of waiting for ever.
 */
export async function waitUntilProcessed(
  bus: Bus,
  group: string,
  topics: string[],
  opts: { stallMs?: number; pollMs?: number; onLag?: (lag: number) => void } = {},
): Promise<void> {
  const stallMs = opts.stallMs ?? 60 * SECOND_MS;
  const pollMs = opts.pollMs ?? 100;
  let best = Infinity;
  let since = Date.now();
  for (;;) {
    const lag = await bus.lag(group, topics);
    opts.onLag?.(lag);
    if (lag === 0) return;
    if (lag < best) {
      best = lag;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      throw new Error(`the processor has not taken any of the ${lag} pending message(s) for ${Math.round(stallMs / SECOND_MS)} s; see its log`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
