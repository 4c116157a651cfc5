import { hostname } from 'node:os';
import type { Clock } from '../../lib/clock.js';
import { MINUTE_MS, SECOND_MS } from '../../lib/time.js';
import type { Logger } from '../../infra/logger.js';
import type { CollectionService } from './collection.service.js';
import type { TickClaimRepository } from './tick.repository.js';
import { FREQUENCIES, tickAt } from './ticks.js';

/** What the loop asks of the collection. */
export type TickCollection = Pick<CollectionService, 'collectFrequency' | 'collectLagging'>;

/** Tick ownership across collector processes. */
export type TickClaims = Pick<TickClaimRepository, 'claim' | 'finish'>;

/** How often the loop looks at the clock. */
export const TICK_LOOP_MS = 5 * SECOND_MS;

/** Time the claims of the first pass get before catch-up decides which frequencies they cover. */
export const CLAIM_SETTLE_MS = 200;

/** A gap between two passes longer than this means the process was not running (suspended, stopped). */
export function pauseThresholdMs(loopMs: number): number {
  return Math.max(MINUTE_MS, loopMs * 6);
}

/** A name that tells which process claimed a tick. */
export function collectorId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The collector's loop: every tick of 1, 5, 10 and 60 minutes is claimed in the database by exactly
 * one collector process, which collects that frequency's active points. At start, and after the
 * process was not running (or was suspended) for a while, points behind their cursor are caught up at
 * once. A tick that begins while the previous one of its frequency is still collecting is skipped:
 * the cursors make the next one collect everything.
 */
export class TickLoop {
  private readonly owner: string;
  private readonly loopMs: number;
  /** Start (epoch ms) of the last tick seen per frequency. */
  private readonly lastTick = new Map<number, number>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly busy = new Set<string>();
  /**
   * Frequencies whose current tick this process claimed collect everything behind their cursors
   * anyway; catch-up covers the others (their tick was already taken, or is still minutes away).
   */
  private readonly claimedNow = new Set<number>();
  private readonly abort = new AbortController();
  private lastPass: number;
  private stopped = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly deps: {
      collection: TickCollection;
      claims: TickClaims;
      clock: Clock;
      logger: Logger;
      owner?: string;
      loopMs?: number;
    },
  ) {
    this.owner = deps.owner ?? collectorId();
    this.loopMs = deps.loopMs ?? TICK_LOOP_MS;
    this.lastPass = deps.clock.now().getTime();
  }

  /** First pass, catch-up once the first claims settled, then a pass every `loopMs`. */
  async start(): Promise<void> {
    this.pass();
    await new Promise((r) => setTimeout(r, CLAIM_SETTLE_MS));
    if (this.stopped) return;
    this.catchUp();
    this.timer = setInterval(() => this.pass(), this.loopMs);
  }

  /** Stops taking ticks, asks the work in flight to end after its current window, and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearInterval(this.timer);
    await this.idle();
  }

  /** Resolves when no work is in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** One look at the clock: starts the ticks that began since the last pass; catches up after a pause. */
  pass(): void {
    if (this.stopped) return;
    const t = this.deps.clock.now().getTime();
    if (t - this.lastPass > pauseThresholdMs(this.loopMs)) {
      this.deps.logger.warn({ paused_ms: t - this.lastPass }, 'collector was not running for a while: catching up');
      this.claimedNow.clear();
      this.catchUp();
    }
    this.lastPass = t;
    for (const f of FREQUENCIES) {
      const at = tickAt(new Date(t), f);
      if ((this.lastTick.get(f) ?? -1) >= at.getTime()) continue;
      this.lastTick.set(f, at.getTime());
      if (this.busy.has(`f${f}`)) {
        this.deps.logger.warn({ frequency: f, tick: at }, 'previous tick still collecting; this tick is skipped (cursors make the next one collect everything)');
        continue;
      }
      this.track(`f${f}`, () => this.collectTick(f, at));
    }
  }

  /** Collects the points behind their cursors, of the frequencies whose current tick another process has. */
  catchUp(): void {
    this.track('catch-up', async () => {
      const frequencies = FREQUENCIES.filter((f) => !this.claimedNow.has(f));
      const stats = await this.deps.collection.collectLagging(frequencies, this.abort.signal);
      if (stats.points > 0) this.deps.logger.info({ ...stats }, 'catch-up collection done');
    });
  }

  private async collectTick(frequency: number, at: Date): Promise<void> {
    if (!(await this.deps.claims.claim(frequency, at, this.owner))) return;
    this.claimedNow.add(frequency);
    const stats = await this.deps.collection.collectFrequency(frequency, this.abort.signal);
    await this.deps.claims.finish(frequency, at, stats);
    this.deps.logger.info({ frequency, tick: at, ...stats }, 'tick collected');
  }

  /** Runs `work` unless work of the same key is still running; a failure is logged, not thrown. */
  private track(key: string, work: () => Promise<unknown>): void {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    const p = work()
      .catch((err: unknown) => this.deps.logger.error({ err, work: key }, 'collection failed'))
      .finally(() => {
        this.busy.delete(key);
        this.running.delete(p);
      });
    this.running.add(p);
  }
}
