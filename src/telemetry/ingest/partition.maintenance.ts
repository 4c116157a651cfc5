import type { Logger } from '../../infra/logger.js';
import type { Clock } from '../../lib/clock.js';
import { DAY_MS, HOUR_MS } from '../../lib/time.js';
import type { MeasurementRepository } from './measurement.repository.js';

/** How many months of partitions exist ahead of the current one. */
export const PARTITIONS_AHEAD = 2;

/**
 * Monthly measurement partitions created ahead, whole partitions dropped once they end before the
 * retention cutoff (a partial month is kept: retention is a minimum, never cut inside a partition).
 */
export class PartitionMaintenance {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly deps: {
      measurements: Pick<MeasurementRepository, 'createAhead' | 'dropPartitionsBefore'>;
      clock: Clock;
      logger: Logger;
      retentionDays: number;
      everyMs?: number;
    },
  ) {}

  /** Runs once now (a failure is thrown), then every `everyMs` (a failure is logged). */
  async start(): Promise<void> {
    await this.run();
    this.timer = setInterval(
      () => this.run().catch((err: unknown) => this.deps.logger.error({ err }, 'partition maintenance failed')),
      this.deps.everyMs ?? 6 * HOUR_MS,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Returns the names of the partitions dropped. */
  async run(): Promise<string[]> {
    const now = this.deps.clock.now();
    await this.deps.measurements.createAhead(now, PARTITIONS_AHEAD);
    const dropped = await this.deps.measurements.dropPartitionsBefore(new Date(now.getTime() - this.deps.retentionDays * DAY_MS));
    if (dropped.length) this.deps.logger.info({ dropped }, 'measurement partitions past retention dropped');
    return dropped;
  }
}
