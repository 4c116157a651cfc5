import type { Container } from '../container.js';
import { PartitionMaintenance } from '../telemetry/ingest/partition.maintenance.js';
import type { RunningRole } from './api.js';

/** The scheduler role: runs partition maintenance (see PartitionMaintenance) until stopped. */
export async function startScheduler(c: Container, opts: { everyMs?: number } = {}): Promise<RunningRole> {
  const maintenance = new PartitionMaintenance({
    measurements: c.processor.measurements,
    clock: c.clock,
    logger: c.logger,
    retentionDays: c.config.retentionDays,
    everyMs: opts.everyMs,
  });
  await maintenance.start();
  return {
    name: 'scheduler',
    async stop() {
      maintenance.stop();
    },
  };
}
