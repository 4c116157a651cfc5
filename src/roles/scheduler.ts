import type { Container } from '../container.js';
import type { RunningRole } from './api.js';
import { DAY_MS } from '../lib/time.js';


/** Maintenance: monthly measurement partitions created ahead, whole partitions dropped past retention. */
export async function startScheduler(c: Container, opts: { everyMs?: number } = {}): Promise<RunningRole> {
  const run = async () => {
    const now = new Date();
    await c.processor.measurements.createAhead(now, 2);
    const dropped = await c.processor.measurements.dropPartitionsBefore(new Date(now.getTime() - c.config.retentionDays * DAY_MS));
    if (dropped.length) c.logger.info({ dropped }, 'measurement partitions past retention dropped');
  };
  await run();
  const timer = setInterval(() => run().catch((err: unknown) => c.logger.error({ err }, 'partition maintenance failed')), opts.everyMs ?? 6 * 3600_000);
  timer.unref();
  return {
    name: 'scheduler',
    async stop() {
      clearInterval(timer);
    },
  };
}
