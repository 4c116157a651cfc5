import type { Db } from '../../infra/db/index.js';
import { consumerGroups, type Bus, type BusNames } from '../../infra/bus/index.js';
import type { Cache } from '../../infra/cache/index.js';
import type { Metrics } from '../../infra/metrics.js';
import { type Principal, requireStaff } from '../../auth/principal.js';
import { fromLocal, toLocal } from '../../lib/timezone.js';
import { MINUTE_MS, SECOND_MS } from '../../lib/time.js';
import { round } from '../../lib/round.js';
import type { Clock } from '../../lib/clock.js';
import { StatsRepository, type TickRow } from './stats.repository.js';
import type { BusLagReport, Stats } from './stats.schema.js';


const STATS_TTL_MS = 5000;

/**
 * GET /stats: collection per provider and frequency, bus lag, processor throughput, dead
 * letters, measurements stored today. Database figures are cluster-wide; counters marked
 * `this_process` come from this process's metrics registry. Cached 5 s: it scans today's rollups.
 */
export class StatsService {
  private last: { at: number; value: Promise<Stats> } | null = null;
  private readonly samples: { t: number; stored: number }[] = [];
  private readonly repo: StatsRepository;

  constructor(
    private readonly deps: {
      db: Db;
      cache: Cache;
      metrics: Metrics;
      bus?: Bus;
      timezone: string;
      /** Topic and group names of this deployment (BUS_NAMESPACE): lag is reported for its consumer groups. */
      topics: BusNames;
      clock: Clock;
    },
  ) {
    this.repo = new StatsRepository(deps.db);
  }

  async stats(actor: Principal): Promise<Stats> {
    requireStaff(actor);
    const t = this.deps.clock.now().getTime();
    if (this.last && t - this.last.at < STATS_TTL_MS) return this.last.value;
    const value = this.compute();
    this.last = { at: t, value };
    value.catch(() => (this.last = null));
    return value;
  }

  private async compute(): Promise<Stats> {
    const now = this.deps.clock.now();
    const l = toLocal(now, this.deps.timezone);
    const todayStart = fromLocal({ year: l.year, month: l.month, day: l.day, hour: 0, minute: 0, second: 0 }, this.deps.timezone);
    const [lastTicks, dayTicks, providers, dead, storedToday, busLag, processor] = await Promise.all([
      this.repo.lastTicks(),
      this.repo.dayTicks(now),
      this.repo.cursorsByProvider(),
      this.repo.deadLetterCounts(now),
      this.repo.storedBetween(todayStart, now),
      this.busLag(),
      this.processorCounters(now.getTime()),
    ]);

    const ticksByFrequency = new Map(lastTicks.map((r) => [Number(r.frequency), r]));
    const age = (d: Date | null) => (d ? Math.max(0, Math.round((now.getTime() - d.getTime()) / SECOND_MS)) : null);
    const cacheStats = this.deps.cache.stats;
    const hitRatio = cacheStats.hitRatio();
    return {
      generated_at: now.toISOString(),
      timezone: this.deps.timezone,
      collection: {
        by_frequency: dayTicks.length || lastTicks.length
          ? [...new Set([...lastTicks.map((r) => Number(r.frequency)), ...dayTicks.map((r) => Number(r.frequency))])]
              .sort((a, b) => a - b)
              .map((frequency) => {
                const last = ticksByFrequency.get(frequency);
                const day = dayTicks.find((r) => Number(r.frequency) === frequency);
                return {
                  frequency,
                  last_tick: last ? tickOf(last) : null,
                  last_24h: day
                    ? { ticks: Number(day.ticks), unfinished: Number(day.unfinished), readings: Number(day.readings), ok: Number(day.ok), no_data: Number(day.no_data), failed: Number(day.failed) }
                    : null,
                };
              })
          : [],
        by_provider: providers.map((p) => {
          const last = ticksByFrequency.get(Number(p.frequency));
          const mine = last?.by_provider?.[p.provider];
          return {
            provider: p.provider,
            frequency: Number(p.frequency),
            points: Number(p.points),
            cursors: Number(p.cursors),
            oldest_cursor_at: p.oldest?.toISOString() ?? null,
            oldest_cursor_age_s: age(p.oldest),
            last_tick: last
              ? {
                  tick_at: last.tick_at.toISOString(),
                  points_collected: mine?.points ?? null,
                  ok: mine?.ok ?? null,
                  no_data: mine?.no_data ?? null,
                  failed: mine?.failed ?? null,
                  readings: mine?.readings ?? null,
                }
              : null,
          };
        }),
        this_process: await collectionCounters(this.deps.metrics),
      },
      bus: busLag,
      processor,
      dead_letters: dead,
      measurements: { stored_today: storedToday, today_since: todayStart.toISOString(), numeric_only: true },
      cache: {
        kind: this.deps.cache.kind,
        hits: cacheStats.hits,
        misses: cacheStats.misses,
        hit_ratio: hitRatio === null ? null : round(hitRatio, 4),
      },
    };
  }

  /** Lag of each consumer group (also set on the smarthydro_bus_consumer_lag gauge); null without a bus. */
  async busLag(): Promise<BusLagReport | null> {
    const bus = this.deps.bus;
    if (!bus) return null;
    const groups = consumerGroups(this.deps.topics);
    const lag: Record<string, number | null> = {};
    await Promise.all(
      groups.map(async ({ group, topics }) => {
        try {
          lag[group] = await bus.lag(group, topics);
          this.deps.metrics.busLag.set({ group }, lag[group]!);
        } catch {
          lag[group] = null;
        }
      }),
    );
    return { kind: bus.kind, lag };
  }

  /** Processor counters of this process, and readings stored per second since the previous /stats (≥ 1 s ago). */
  private async processorCounters(t: number) {
    const byOutcome: Record<string, number> = {};
    const metrics = this.deps.metrics;
    for (const v of (await metrics.processedReadings.get()).values) byOutcome[String(v.labels.outcome)] = v.value;
    const duration = await metrics.processingDuration.get();
    const sum = duration.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
    const count = duration.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const stored = byOutcome['stored'] ?? 0;
    const previous = [...this.samples].reverse().find((s) => t - s.t >= 1000);
    this.samples.push({ t, stored });
    while (this.samples.length > 0 && t - this.samples[0]!.t > 15 * MINUTE_MS) this.samples.shift();
    return {
      this_process: {
        readings: byOutcome,
        batches: count,
        avg_batch_ms: count > 0 ? round((sum / count) * 1000, 2) : null,
        stored_per_s: previous ? round((stored - previous.stored) / ((t - previous.t) / SECOND_MS), 1) : null,
        stored_per_s_window_s: previous ? Math.round((t - previous.t) / SECOND_MS) : null,
      },
    };
  }
}

function tickOf(r: TickRow) {
  return {
    tick_at: r.tick_at.toISOString(),
    claimed_by: r.claimed_by,
    finished_at: r.finished_at?.toISOString() ?? null,
    duration_s: r.finished_at ? round((r.finished_at.getTime() - r.tick_at.getTime()) / SECOND_MS, 1) : null,
    points: r.points,
    readings: r.readings,
    ok: r.ok,
    no_data: r.no_data,
    failed: r.failed,
  };
}

async function collectionCounters(metrics: Metrics): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const v of (await metrics.collectionRequests.get()).values) {
    const p = String(v.labels.provider);
    (out[p] ??= {})[String(v.labels.result)] = v.value;
  }
  for (const v of (await metrics.collectionReadings.get()).values) {
    const p = String(v.labels.provider);
    (out[p] ??= {}).readings = v.value;
  }
  return out;
}

