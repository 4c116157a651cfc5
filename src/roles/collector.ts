import type { Container } from '../container.js';
import { TickLoop } from '../telemetry/collection/tick.loop.js';
import { TickClaimRepository } from '../telemetry/collection/tick.repository.js';
import type { RunningRole } from './api.js';

/** The collector role: runs the tick loop (see TickLoop) until stopped. */
export async function startCollector(c: Container, opts: { loopMs?: number } = {}): Promise<RunningRole> {
  const loop = new TickLoop({
    collection: c.collection,
    claims: new TickClaimRepository(c.db),
    clock: c.clock,
    logger: c.logger,
    loopMs: opts.loopMs,
  });
  await loop.start();
  return { name: 'collector', stop: () => loop.stop() };
}
