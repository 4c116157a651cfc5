import type { Db } from '../../infra/db/index.js';
import { consumerGroups, type Bus, type BusNames } from '../../infra/bus/index.js';
import type { Cache } from '../../infra/cache/index.js';
import type { Metrics } from '../../infra/metrics.js';
import { type Principal, requireStaff } from '../../auth/principal.js';
import { fromLocal, toLocal } from '../../lib/timezone.js';
import { round } from '../../lib/round.js';

interface TickRow {
  frequency: number;
  tick_at: Date;
  claimed_by: string;
  finished_at: Date | null;
  points: number | null;
  readings: number | null;
  ok: number | null;
  no_data: number | null;
  failed: number | null;
  by_provider: Record<string, { points?: number; ok?: number; no_data?: number; failed?: number; readings?: number }> | null;
}

const STATS_TTL_MS = 5000;

/**
 * GET /stats (seed): collection per provider and frequency, bus lag, processor throughput, dead
 * letters, measurements stored today. Database figures are cluster-wide; counters marked
 * `this_process` come from this process's metrics registry. Cached 5 s: it scans today's rollups.
 */
export class StatsService {
  private last: { at: number; value: Promise<Record<string, unknown>> } | null = null;
  private readonly samples: { t: number; stored: number }[] = [];

  constructor(
    private readonly deps: {
      db: Db;
      cache: Cache;
      metrics: Metrics;
      bus?: Bus;
      timezone: string;
      /** Topic and group names of this deployment (BUS_NAMESPACE): lag is reported for its consumer groups. */
      topics: BusNames;
      now?: () => Date;
    },
  ) {}

  async stats(actor: Principal): Promise<Record<string, unknown>> {
    requireStaff(actor);
    const t = Date.now();
    if (this.last && t - this.last.at < STATS_TTL_MS) return this.last.value;
    const value = this.compute();
    this.last = { at: t, value };
    value.catch(() => (this.last = null));
    return value;
  }

  private async compute(): Promise<Record<string, unknown>> {
    const now = this.deps.now?.() ?? new Date();
    const l = toLocal(now, this.deps.timezone);
    const todayStart = fromLocal({ year: l.year, month: l.month, day: l.day, hour: 0, minute: 0, second: 0 }, this.deps.timezone);
    const db = this.deps.db;
    const [lastTicks, dayTicks, providers, dead, today, busLag, processor] = await Promise.all([
      db.query<TickRow>(
        `SELECT DISTINCT ON (frequency) frequency, tick_at, claimed_by, finished_at, points, readings, ok, no_data, failed, by_provider
         FROM collection_ticks ORDER BY frequency, tick_at DESC`,
      ),
      db.query<{ frequency: number; ticks: number; unfinished: number; ok: number; no_data: number; failed: number; readings: number }>(
        `SELECT frequency, count(*) AS ticks, count(*) FILTER (WHERE finished_at IS NULL) AS unfinished,
                COALESCE(sum(ok), 0) AS ok, COALESCE(sum(no_data), 0) AS no_data, COALESCE(sum(failed), 0) AS failed,
                COALESCE(sum(readings), 0) AS readings
         FROM collection_ticks WHERE tick_at > $1::timestamptz - interval '24 hours' GROUP BY frequency ORDER BY frequency`,
        [now],
      ),
      db.query<{ provider: string; frequency: number; points: number; cursors: number; oldest: Date | null }>(
        `SELECT p.provider, p.frequency, count(DISTINCT p.id) AS points, count(c.point_id) AS cursors, min(c.cursor_ts) AS oldest
         FROM catchment_points p LEFT JOIN collection_cursors c ON c.point_id = p.id
         WHERE p.is_telemetry_active AND p.provider IS NOT NULL
         GROUP BY p.provider, p.frequency ORDER BY p.provider, p.frequency`,
      ),
      db.query<{ total: number; last_24h: number }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE received_at > $1::timestamptz - interval '24 hours') AS last_24h FROM dead_letters`,
        [now],
      ),
      db.query<{ n: number | null }>(
        `SELECT sum(n) AS n FROM measurement_rollups WHERE resolution = '1h' AND bucket >= $1 AND bucket <= $2`,
        [todayStart, now],
      ),
      this.busLag(),
      this.processorCounters(now.getTime()),
    ]);

    const ticksByFrequency = new Map(lastTicks.rows.map((r) => [Number(r.frequency), r]));
    const cacheStats = this.deps.cache.stats;
    const hitRatio = cacheStats.hitRatio();
    const age = (d: Date | null) => (d ? Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000)) : null);
    return {
      generated_at: now.toISOString(),
      timezone: this.deps.timezone,
      collection: {
        by_frequency: dayTicks.rows.length || lastTicks.rows.length
          ? [...new Set([...lastTicks.rows.map((r) => Number(r.frequency)), ...dayTicks.rows.map((r) => Number(r.frequency))])]
              .sort((a, b) => a - b)
              .map((frequency) => {
                const last = ticksByFrequency.get(frequency);
                const day = dayTicks.rows.find((r) => Number(r.frequency) === frequency);
                return {
                  frequency,
                  last_tick: last ? tickOf(last) : null,
                  last_24h: day
                    ? { ticks: Number(day.ticks), unfinished: Number(day.unfinished), readings: Number(day.readings), ok: Number(day.ok), no_data: Number(day.no_data), failed: Number(day.failed) }
                    : null,
                };
              })
          : [],
        by_provider: providers.rows.map((p) => {
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
      dead_letters: { total: Number(dead.rows[0]?.total ?? 0), last_24h: Number(dead.rows[0]?.last_24h ?? 0) },
      measurements: { stored_today: Number(today.rows[0]?.n ?? 0), today_since: todayStart.toISOString(), numeric_only: true },
      cache: {
        kind: this.deps.cache.kind,
        hits: cacheStats.hits,
        misses: cacheStats.misses,
        hit_ratio: hitRatio === null ? null : round(hitRatio, 4),
      },
    };
  }

  /** Lag of each consumer group (also set on the smarthydro_bus_consumer_lag gauge); null without a bus. */
  async busLag(): Promise<Record<string, unknown> | null> {
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
    while (this.samples.length > 0 && t - this.samples[0]!.t > 15 * 60_000) this.samples.shift();
    return {
      this_process: {
        readings: byOutcome,
        batches: count,
        avg_batch_ms: count > 0 ? round((sum / count) * 1000, 2) : null,
        stored_per_s: previous ? round((stored - previous.stored) / ((t - previous.t) / 1000), 1) : null,
        stored_per_s_window_s: previous ? Math.round((t - previous.t) / 1000) : null,
      },
    };
  }
}

function tickOf(r: TickRow) {
  return {
    tick_at: r.tick_at.toISOString(),
    claimed_by: r.claimed_by,
    finished_at: r.finished_at?.toISOString() ?? null,
    duration_s: r.finished_at ? round((r.finished_at.getTime() - r.tick_at.getTime()) / 1000, 1) : null,
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

