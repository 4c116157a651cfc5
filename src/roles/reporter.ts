import type { Container } from '../container.js';
import { DgaReporter, type DgaReporterOptions } from '../dga/reporter.service.js';
import type { RunningRole } from './api.js';

export interface ReporterRoleOptions extends DgaReporterOptions {
  /** Pause between ticks when nothing was left to send. Default 20 s. */
  intervalMs?: number;
}

/**
 * The reporter role: every `intervalMs` plans the DGA slots points owe and sends the due ones (see
 * DgaReporter). Any number of reporters may run against one database. Stopping lets the request in
 * flight finish and be recorded.
 */
export async function startReporter(
  c: Container,
  opts: ReporterRoleOptions = {},
): Promise<RunningRole & { reporter: DgaReporter }> {
  const reporter = new DgaReporter(
    {
      db: c.db,
      secrets: c.secrets,
      logger: c.logger,
      metrics: c.metrics,
      variablesConfig: async (pointId) => (await c.schemas.mergedConfig(pointId)).merged_config,
      dgaApiUrl: c.config.dgaApiUrl,
      tz: c.config.reportTimezone,
    },
    opts,
  );
  const intervalMs = opts.intervalMs ?? 20_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  const loop = (): void => {
    running = (async () => {
      let more = false;
      try {
        more = (await reporter.tick()).more;
      } catch (err) {
        c.logger.error({ err }, 'DGA reporter tick failed');
      }
      if (!stopped) timer = setTimeout(loop, more ? 0 : intervalMs);
    })();
  };
  timer = setTimeout(loop, 0);
  c.logger.info({ owner: reporter.owner, dgaApiUrl: c.config.dgaApiUrl, intervalMs }, 'DGA reporter started');

  return {
    name: 'reporter',
    reporter,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      reporter.stop();
      await running;
    },
  };
}
