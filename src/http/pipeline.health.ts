import type { Clock } from '../lib/clock.js';
import { MINUTE_MS, SECOND_MS } from '../lib/time.js';

/** What /health needs to know about the pipeline, gathered in one probe. */
export interface PipelineFigures {
  /** The processor's consumer group: members now and messages not yet committed. */
  processor: { group: string; members: number; lag: number };
  /** Frequencies (minutes) of active collected points, and the newest claimed tick of each. */
  collector: { frequencies: number[]; lastTicks: Map<number, Date> };
  /** Whether a point reports to DGA, and the newest reporter heartbeat. */
  reporter: { dgaPoints: boolean; lastBeat: Date | null };
}

export interface PipelineLimits {
  /** Lag (messages) above which a lag that keeps growing means the processors do not keep up. */
  lagLimit: number;
  /** How far apart two lag samples must be to call the lag growing. */
  lagWindowMs: number;
  /** A reporter heartbeat older than this (while DGA points exist) means no reporter runs. */
  reporterStaleMs: number;
}

export const DEFAULT_PIPELINE_LIMITS: PipelineLimits = { lagLimit: 10_000, lagWindowMs: MINUTE_MS, reporterStaleMs: 5 * MINUTE_MS };

/** Ticks of the smallest active frequency missed in a row before the collector counts as stopped. */
export const MISSED_TICKS = 3;

export interface Verdict {
  ok: boolean;
  detail: string;
}

/** A lag figure from earlier, to tell a growing lag from a steady one. */
export interface LagSample {
  at: number;
  lag: number;
}

export function judgeProcessor(f: PipelineFigures['processor'], earlier: LagSample | undefined, now: Date, limits: PipelineLimits): Verdict {
  const figures = `${f.members} member(s) in ${f.group}, lag ${f.lag}`;
  if (f.members === 0 && f.lag > 0) return { ok: false, detail: `no processor consumes ${f.group}; lag ${f.lag} messages` };
  if (f.lag > limits.lagLimit && earlier !== undefined && f.lag > earlier.lag) {
    return { ok: false, detail: `${figures}: growing (${earlier.lag} ${Math.round((now.getTime() - earlier.at) / SECOND_MS)} s ago) above ${limits.lagLimit}` };
  }
  return { ok: true, detail: figures };
}

export function judgeCollector(f: PipelineFigures['collector'], now: Date): Verdict {
  if (f.frequencies.length === 0) return { ok: true, detail: 'no active collected points' };
  const smallest = Math.min(...f.frequencies);
  const last = f.lastTicks.get(smallest);
  const limitMs = MISSED_TICKS * smallest * MINUTE_MS;
  if (!last) return { ok: false, detail: `no ${smallest}-minute tick was ever claimed` };
  const age = now.getTime() - last.getTime();
  if (age > limitMs) return { ok: false, detail: `no ${smallest}-minute tick since ${last.toISOString()} (${Math.round(age / MINUTE_MS)} min)` };
  return { ok: true, detail: `last ${smallest}-minute tick ${last.toISOString()}` };
}

export function judgeReporter(f: PipelineFigures['reporter'], now: Date, limits: PipelineLimits): Verdict {
  if (!f.dgaPoints) return { ok: true, detail: 'no point reports to DGA' };
  if (!f.lastBeat) return { ok: false, detail: 'no DGA reporter has run' };
  const age = now.getTime() - f.lastBeat.getTime();
  if (age > limits.reporterStaleMs) return { ok: false, detail: `no DGA reporter heartbeat since ${f.lastBeat.toISOString()} (${Math.round(age / SECOND_MS)} s)` };
  return { ok: true, detail: `reporter heartbeat ${f.lastBeat.toISOString()}` };
}

export interface PipelineSources {
  processorGroup: string;
  members: () => Promise<number>;
  lag: () => Promise<number>;
  activeFrequencies: () => Promise<number[]>;
  lastTicks: (frequencies: readonly number[]) => Promise<Map<number, Date>>;
  anyDgaPoints: () => Promise<boolean>;
  lastReporterBeat: () => Promise<Date | null>;
  clock: Clock;
}

/** How long one probe's figures answer /health: a load balancer polling every second costs one probe per this. */
export const PROBE_CACHE_MS = 5 * SECOND_MS;

/**
 * The pipeline part of /health: processor group, collector ticks and reporter heartbeat, probed at most once per
 * PROBE_CACHE_MS (concurrent requests share the probe in flight).
 */
export class PipelineProbe {
  private current: { at: number; figures: Promise<PipelineFigures> } | undefined;
  private readonly lagSamples: LagSample[] = [];

  constructor(
    private readonly sources: PipelineSources,
    private readonly limits: PipelineLimits = DEFAULT_PIPELINE_LIMITS,
    private readonly cacheMs = PROBE_CACHE_MS,
  ) {}

  async processor(): Promise<Verdict> {
    const f = await this.figures();
    const now = this.sources.clock.now();
    return judgeProcessor(f.processor, this.lagBefore(now.getTime()), now, this.limits);
  }

  async collector(): Promise<Verdict> {
    return judgeCollector((await this.figures()).collector, this.sources.clock.now());
  }

  async reporter(): Promise<Verdict> {
    return judgeReporter((await this.figures()).reporter, this.sources.clock.now(), this.limits);
  }

  private figures(): Promise<PipelineFigures> {
    const now = this.sources.clock.now().getTime();
    if (this.current && now - this.current.at < this.cacheMs) return this.current.figures;
    const figures = this.probe(now);
    this.current = { at: now, figures };
    figures.catch(() => {
      if (this.current?.figures === figures) this.current = undefined; // a failed probe is not kept
    });
    return figures;
  }

  private async probe(now: number): Promise<PipelineFigures> {
    const s = this.sources;
    const [members, lag, frequencies, dgaPoints, lastBeat] = await Promise.all([
      s.members(), s.lag(), s.activeFrequencies(), s.anyDgaPoints(), s.lastReporterBeat(),
    ]);
    const lastTicks = await s.lastTicks(frequencies);
    this.lagSamples.push({ at: now, lag });
    // Keep the samples of the last two windows: enough to find one a window old.
    while (this.lagSamples.length > 1 && now - this.lagSamples[0]!.at > 2 * this.limits.lagWindowMs) this.lagSamples.shift();
    return { processor: { group: s.processorGroup, members, lag }, collector: { frequencies, lastTicks }, reporter: { dgaPoints, lastBeat } };
  }

  /** The newest sample at least a window old. */
  private lagBefore(now: number): LagSample | undefined {
    let found: LagSample | undefined;
    for (const sample of this.lagSamples) if (now - sample.at >= this.limits.lagWindowMs) found = sample;
    return found;
  }
}
