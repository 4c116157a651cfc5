import type { Logger } from '../infra/logger.js';

export const DEFAULT_REPORTER_INTERVAL_MS = 20_000;

/** What the loop drives: a DgaReporter, or a stand-in in tests. */
export interface Tickable {
  tick(): Promise<{ more: boolean }>;
  stop(): void;
}

/**
 * Runs reporter ticks one after another: at once after a tick that left due rows behind (its time
 * budget ran out), else after `intervalMs`. A failing tick is logged and the next one still comes.
 * Stopping lets the request in flight finish and be recorded.
 */
export class ReporterLoop {
  private readonly intervalMs: number;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      reporter: Tickable;
      logger: Logger;
      /** Called before each tick: tells /health this reporter is alive (a failure is logged; the tick still runs). */
      heartbeat?: () => Promise<void>;
    },
    opts: { intervalMs?: number } = {},
  ) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_REPORTER_INTERVAL_MS;
  }

  start(): void {
    if (this.stopped) throw new Error('a stopped reporter loop cannot be started again');
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.deps.reporter.stop();
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce();
    }, ms);
  }

  private async runOnce(): Promise<void> {
    let more = false;
    await this.deps.heartbeat?.().catch((err: unknown) => this.deps.logger.warn({ err }, 'DGA reporter heartbeat failed'));
    try {
      more = (await this.deps.reporter.tick()).more;
    } catch (err) {
      this.deps.logger.error({ err }, 'DGA reporter tick failed');
    }
    if (!this.stopped) this.schedule(more ? 0 : this.intervalMs);
  }
}
