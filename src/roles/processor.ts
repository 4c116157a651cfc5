import type { Container } from '../container.js';
import type { RunningRole } from './api.js';

/**
 * How much one processor batch (one transaction) takes from the bus: the collector's catch-up messages
 * hold up to 2,000 readings (~120 kB), so about 8 of them; steady 1-minute messages of a few readings,
 * up to 5,000 of them (~15,000 readings: one transaction instead of 5,000).
 */
export const PROCESSOR_BATCH = { maxBatch: 5000, maxBatchChars: 1_000_000 } as const;

/**
 * The processor role: one consumer group on telemetry.raw.v1 with PROCESSOR_CONCURRENCY consumers
 * (partitions are keyed by point, so a point's readings stay in order on one consumer); offsets
 * commit after the database commit.
 */
export async function startProcessor(c: Container): Promise<RunningRole> {
  await c.processor.measurements.createAhead(new Date());
  const window = { readings: 0, stored: 0, deadLetters: 0, since: Date.now() };
  const summary = setInterval(() => {
    if (window.readings > 0) {
      const seconds = (Date.now() - window.since) / 1000;
      c.logger.info({ ...window, since: undefined, per_second: Math.round(window.readings / seconds) }, 'processor throughput');
    }
    Object.assign(window, { readings: 0, stored: 0, deadLetters: 0, since: Date.now() });
  }, 30_000);
  summary.unref();
  const subscribe = () => c.bus.subscribe({
    group: c.topics.processorGroup,
    topics: [c.topics.raw],
    ...PROCESSOR_BATCH,
    handler: async (batch) => {
      try {
        const r = await c.processor.handleBatch(batch);
        window.readings += r.readings;
        window.stored += r.stored;
        window.deadLetters += r.deadLetters;
      } catch (err) {
        c.logger.error({ err, messages: batch.length }, 'processing a batch failed; it will be delivered again');
        throw err;
      }
    },
  });
  const subs = await Promise.all(Array.from({ length: c.config.processorConcurrency }, subscribe));
  // Keeps smarthydro_bus_consumer_lag current between scrapes (StatsService asks the bus and sets it).
  const lagTimer = setInterval(() => void c.stats.busLag().catch(() => undefined), 10_000);
  lagTimer.unref();
  return {
    name: 'processor',
    async stop() {
      clearInterval(lagTimer);
      clearInterval(summary);
      await Promise.all(subs.map((s) => s.stop()));
    },
  };
}
