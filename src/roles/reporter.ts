import type { Container } from '../container.js';
import type { DgaReporter, DgaReporterOptions } from '../dga/reporter.service.js';
import { ReporterLoop } from '../dga/reporter.loop.js';
import { ReporterHeartbeatRepository } from '../dga/reporter-heartbeat.repository.js';
import type { RunningRole } from './api.js';

export interface ReporterRoleOptions extends DgaReporterOptions {
  /** Pause between ticks when nothing was left to send. Default 20 s. */
  intervalMs?: number;
}

/**
 * The reporter role: plans the DGA slots points owe and sends the due ones (see DgaReporter and
 * ReporterLoop). Any number of reporters may run against one database.
 */
export async function startReporter(
  c: Container,
  opts: ReporterRoleOptions = {},
): Promise<RunningRole & { reporter: DgaReporter }> {
  const { intervalMs, ...reporterOpts } = opts;
  const reporter = c.dgaReporter(reporterOpts);
  const heartbeats = new ReporterHeartbeatRepository(c.db);
  const heartbeat = () => heartbeats.beat(reporter.owner, c.clock.now());
  const loop = new ReporterLoop({ reporter, logger: c.logger, heartbeat }, { intervalMs });
  loop.start();
  c.logger.info({ owner: reporter.owner, dgaApiUrl: c.config.dgaApiUrl, intervalMs }, 'DGA reporter started');
  return { name: 'reporter', reporter, stop: () => loop.stop() };
}
