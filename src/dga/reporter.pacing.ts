import type { Logger } from '../infra/logger.js';
import type { InformantPacingRepository } from './informant-pacing.repository.js';

/** How often a reporter waiting for an informante RUT held by another reporter looks again. */
const PACING_POLL_MS = 250;

/**
 * The reporter's spacing between DGA requests: at least `minSpacingMs` after the end of its own previous
 * exchange (real time, not the injected clock), and per informante RUT across reporters through a shared
 * hold in the database. Only stop() ends a wait early, and then nothing is sent.
 */
export class ReporterPacing {
  private lastExchangeEndedAt = Number.NEGATIVE_INFINITY;
  private stoppedFlag = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly deps: { pacing: InformantPacingRepository; logger: Logger },
    readonly minSpacingMs: number,
    /** How long a RUT hold lasts if its holder never releases it (a crashed reporter). */
    private readonly holdMs: number,
  ) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Pending waits end at once; later waits return immediately. */
  stop(): void {
    this.stoppedFlag = true;
    this.wake?.();
  }

  /** Waits until `minSpacingMs` has passed since this reporter's previous exchange ended. */
  async spacing(): Promise<void> {
    for (;;) {
      const wait = this.lastExchangeEndedAt + this.minSpacingMs - performance.now();
      if (wait <= 0 || this.stoppedFlag) return;
      await this.sleep(Math.ceil(wait));
    }
  }

  /**
   * Waits until this informante RUT may send again (the previous request of any reporter for it ended at
   * least `minSpacingMs` ago) and takes it. False when the reporter is stopped meanwhile.
   */
  async takeInformant(rut: string, token: string): Promise<boolean> {
    for (;;) {
      if (this.stoppedFlag) return false;
      const got = await this.deps.pacing.take(rut, token, this.holdMs);
      if (got.taken) return true;
      await this.sleep(Math.max(5, Math.min(got.waitMs, PACING_POLL_MS)));
    }
  }

  /** After a request: spacing counts from now when DGA was reached; the RUT is free again after the spacing. */
  async released(rut: string, token: string, exchanged: boolean, submissionId: number): Promise<void> {
    if (exchanged) this.lastExchangeEndedAt = performance.now();
    await this.deps.pacing.release(rut, token, exchanged ? this.minSpacingMs : 0).catch((err: unknown) => {
      // The hold then simply runs out: the RUT is only paused longer.
      this.deps.logger.warn({ err, submissionId }, 'could not release the informante RUT pacing hold');
    });
  }

  /** Sleeps `ms`, or until stop(). */
  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
  }
}
