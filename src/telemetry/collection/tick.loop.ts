import { hostname } from 'node:os';
import type { Clock } from '../../lib/clock.js';
import { MINUTE_MS, SECOND_MS } from '../../lib/time.js';
import type { Logger } from '../../infra/logger.js';
import type { CollectionService, CollectionStats } from './collection.service.js';
import type { TickClaimRepository } from './tick.repository.js';
import { FREQUENCIES, tickAt } from './ticks.js';

/** What the loop asks of the collection. */
export type TickCollection = Pick<CollectionService, 'collectFrequency' | 'collectLagging'>;

/** Tick ownership across collector processes. */
export type TickClaims = Pick<TickClaimRepository, 'claim' | 'finish' | 'claimCatchUp' | 'states' | 'beat'>;

/** How often the loop looks at the clock. */
export const TICK_LOOP_MS = 5 * SECOND_MS;

/**
 * A collector whose heartbeat (stamped at every pass) is older than this is taken as dead: catch-up takes over the
 * points of a tick it held and did not finish. While it is alive, catch-up leaves that tick to it and looks again later.
 */
export const HOLDER_STALE_MS = 20 * SECOND_MS;

/** First pause before a failed collection is retried; it doubles per failure, up to the frequency's period. */
export const RETRY_FIRST_MS = 5 * SECOND_MS;

/** Longest pause between retries of a failed catch-up. */
export const CATCH_UP_RETRY_MAX_MS = 5 * MINUTE_MS;

/** Pause before the `attempt`-th retry (1-based), at most `maxMs`. */
export function retryPauseMs(attempt: number, maxMs: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 20), maxMs);
}

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
 * once — a catch-up claimed per frequency and tick, so collectors starting together do not both do it, and
 * left out for frequencies whose current tick another live collector is collecting (looked at again until that
 * tick is finished or its collector's heartbeat is stale). A tick that begins while a
 * collection of its frequency (tick, retry or catch-up) is still running in this process is skipped: the cursors
 * make the next one collect everything. A collection that failed (provider, bus or database down) is retried
 * for the failed points after 5 s, doubling up to the frequency's period, until the next tick takes over.
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
  /** Failed collections to retry, per frequency: when, which attempt, which points (all when undefined). */
  private readonly retries = new Map<number, { at: number; attempt: number; only: ReadonlySet<number> | undefined }>();
  private catchUpRetry: { at: number; attempt: number } | undefined;
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

  /** First pass, catch-up once the first pass's claims are decided, then a pass every `loopMs`. */
  async start(): Promise<void> {
    await this.pass();
    if (this.stopped) return;
    this.catchUp();
    this.timer = setInterval(() => void this.pass(), this.loopMs);
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

  /**
   * One look at the clock: starts the ticks that began since the last pass, the retries that are due, and a
   * catch-up after a pause. Resolves when the claims of the ticks it started are decided.
   */
  pass(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const t = this.deps.clock.now().getTime();
    if (t - this.lastPass > pauseThresholdMs(this.loopMs)) {
      this.deps.logger.warn({ paused_ms: t - this.lastPass }, 'collector was not running for a while: catching up');
      this.claimedNow.clear();
      this.catchUp();
    }
    this.lastPass = t;
    void this.deps.claims.beat(this.owner, new Date(t)).catch((err: unknown) => this.deps.logger.warn({ err }, 'collector heartbeat failed'));
    const claims: Promise<unknown>[] = [];
    for (const f of FREQUENCIES) {
      const at = tickAt(new Date(t), f);
      if ((this.lastTick.get(f) ?? -1) >= at.getTime()) continue;
      this.lastTick.set(f, at.getTime());
      this.retries.delete(f); // the new tick's collector collects everything behind the cursors
      if (this.busy.has(`f${f}`)) {
        this.deps.logger.warn({ frequency: f, tick: at }, 'a collection of this frequency is still running; this tick is skipped (cursors make the next one collect everything)');
        continue;
      }
      let decided: () => void = () => undefined;
      claims.push(new Promise<void>((resolve) => (decided = resolve)));
      this.track([`f${f}`], () => this.collectTick(f, at, decided));
    }
    this.startDueRetries(t);
    return Promise.all(claims).then(() => undefined);
  }

  /**
   * Collects the points behind their cursors, of the frequencies whose current tick neither this process nor
   * another live collector is collecting; the catch-up of a frequency and tick is claimed, so only one
   * collector does it.
   */
  catchUp(): void {
    const frequencies = FREQUENCIES.filter((f) => !this.claimedNow.has(f) && !this.busy.has(`f${f}`));
    if (frequencies.length === 0) return;
    this.track(['catch-up', ...frequencies.map((f) => `f${f}`)], async () => {
      let failed = true;
      try {
        failed = await this.catchUpNow(frequencies);
      } finally {
        if (failed) this.scheduleCatchUpRetry();
        else this.catchUpRetry = undefined;
      }
    });
  }

  /** The catch-up itself; true when it should run again (a collection failed, or a live collector holds a tick). */
  private async catchUpNow(frequencies: readonly number[]): Promise<boolean> {
    const now = this.deps.clock.now();
    const ticks = frequencies.map((frequency) => ({ frequency, at: tickAt(now, frequency) }));
    const states = await this.deps.claims.states(ticks);
    const mine: number[] = [];
    let lookAgain = false;
    for (const { frequency, at } of ticks) {
      const held = states.get(frequency);
      if (held && held.claimedBy !== this.owner) {
        if (held.finished) continue; // its collector brought these points up to date
        const alive = held.holderBeatAt !== null && now.getTime() - held.holderBeatAt.getTime() < HOLDER_STALE_MS;
        if (alive) {
          lookAgain = true; // it is collecting them now; should it die, take over then
          continue;
        }
      }
      // A catch-up claimed by a collector that died (stale heartbeat) is taken over.
      if (await this.deps.claims.claimCatchUp(frequency, at, this.owner, new Date(now.getTime() - HOLDER_STALE_MS))) mine.push(frequency);
    }
    if (mine.length === 0) return lookAgain;
    const stats = await this.deps.collection.collectLagging(mine, this.abort.signal);
    if (stats.points > 0) this.deps.logger.info({ ...stats, frequencies: mine }, 'catch-up collection done');
    return stats.failed > 0 || lookAgain;
  }

  private async collectTick(frequency: number, at: Date, decided: () => void): Promise<void> {
    let mine = false;
    try {
      mine = await this.deps.claims.claim(frequency, at, this.owner);
    } finally {
      decided();
    }
    if (!mine) return;
    this.claimedNow.add(frequency);
    const stats = await this.collectOrRetryLater(frequency, undefined);
    await this.deps.claims.finish(frequency, at, stats);
    this.deps.logger.info({ frequency, tick: at, ...stats }, 'tick collected');
  }

  /** Collects `frequency` (only the points in `only`, when given); a failure schedules a retry of what failed. */
  private async collectOrRetryLater(frequency: number, only: ReadonlySet<number> | undefined): Promise<CollectionStats> {
    let stats: CollectionStats;
    try {
      stats = await this.deps.collection.collectFrequency(frequency, this.abort.signal, only);
    } catch (err) {
      this.scheduleRetry(frequency, only);
      throw err;
    }
    if (stats.failed_points.length > 0) this.scheduleRetry(frequency, new Set(stats.failed_points));
    else this.retries.delete(frequency);
    return stats;
  }

  private scheduleRetry(frequency: number, only: ReadonlySet<number> | undefined): void {
    if (this.stopped) return;
    const attempt = (this.retries.get(frequency)?.attempt ?? 0) + 1;
    const pause = retryPauseMs(attempt, frequency * MINUTE_MS);
    this.retries.set(frequency, { at: this.deps.clock.now().getTime() + pause, attempt, only });
    this.deps.logger.warn({ frequency, attempt, retry_in_ms: pause, points: only?.size ?? 'all' }, 'collection failed; retrying soon');
  }

  private scheduleCatchUpRetry(): void {
    if (this.stopped) return;
    const attempt = (this.catchUpRetry?.attempt ?? 0) + 1;
    this.catchUpRetry = { at: this.deps.clock.now().getTime() + retryPauseMs(attempt, CATCH_UP_RETRY_MAX_MS), attempt };
  }

  private startDueRetries(t: number): void {
    for (const [frequency, retry] of this.retries) {
      if (retry.at > t || this.busy.has(`f${frequency}`)) continue;
      this.track([`f${frequency}`], async () => {
        const stats = await this.collectOrRetryLater(frequency, retry.only);
        this.deps.logger.info({ frequency, attempt: retry.attempt, ...stats }, 'failed collection retried');
      });
    }
    if (this.catchUpRetry && this.catchUpRetry.at <= t) this.catchUp();
  }

  /** Runs `work` unless work holding one of the same keys is still running; a failure is logged, not thrown. */
  private track(keys: string[], work: () => Promise<unknown>): void {
    if (keys.some((k) => this.busy.has(k))) return;
    for (const k of keys) this.busy.add(k);
    const p = work()
      .catch((err: unknown) => this.deps.logger.error({ err, work: keys.join(',') }, 'collection failed'))
      .finally(() => {
        for (const k of keys) this.busy.delete(k);
        this.running.delete(p);
      });
    this.running.add(p);
  }
}
