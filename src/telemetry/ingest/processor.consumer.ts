import type { Bus, BusNames, Subscription } from '../../infra/bus/index.js';
import type { Logger } from '../../infra/logger.js';
import type { Clock } from '../../lib/clock.js';
import { SECOND_MS } from '../../lib/time.js';
import type { ProcessorService } from './processor.service.js';
import { ThroughputWindow } from './throughput.js';

/**
 * How much one processor batch (one transaction) takes from the bus: the collector's catch-up messages
 * hold up to 2,000 readings (~120 kB), so about 8 of them; steady 1-minute messages of a few readings,
 * up to 5,000 of them (~15,000 readings: one transaction instead of 5,000).
 */
export const PROCESSOR_BATCH = { maxBatch: 5000, maxBatchChars: 1_000_000 } as const;

const SUMMARY_EVERY_MS = 30 * SECOND_MS;
const LAG_EVERY_MS = 10 * SECOND_MS;

/**
 * The processor's consumers: one consumer group on the raw topic with `concurrency` consumers
 * (partitions are keyed by point, so a point's readings stay in order on one consumer); offsets
 * commit after the database commit. Logs a throughput summary every 30 s.
 */
export class ProcessorConsumer {
  private subscriptions: Subscription[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];

  constructor(
    private readonly deps: {
      processor: ProcessorService;
      bus: Bus;
      topics: BusNames;
      logger: Logger;
      clock: Clock;
      concurrency: number;
      /** Keeps smarthydro_bus_consumer_lag current between scrapes (StatsService asks the bus and sets it). */
      refreshLag: () => Promise<unknown>;
    },
  ) {}

  async start(): Promise<void> {
    const { processor, bus, topics, logger, clock } = this.deps;
    await processor.measurements.createAhead(clock.now());
    const window = new ThroughputWindow(clock.now().getTime());
    this.every(SUMMARY_EVERY_MS, () => {
      const summary = window.roll(clock.now().getTime());
      if (summary) logger.info(summary, 'processor throughput');
    });
    const subscribe = () => bus.subscribe({
      group: topics.processorGroup,
      topics: [topics.raw],
      ...PROCESSOR_BATCH,
      handler: async (batch) => {
        try {
          window.add(await processor.handleBatch(batch));
        } catch (err) {
          logger.error({ err, messages: batch.length }, 'processing a batch failed; it will be delivered again');
          throw err;
        }
      },
    });
    this.subscriptions = await Promise.all(Array.from({ length: this.deps.concurrency }, subscribe));
    this.every(LAG_EVERY_MS, () => void this.deps.refreshLag().catch(() => undefined));
  }

  /** Stops the consumers; each finishes (and commits) the batch it is handling. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    await Promise.all(this.subscriptions.splice(0).map((s) => s.stop()));
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
