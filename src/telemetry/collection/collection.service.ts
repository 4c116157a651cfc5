import type { Db } from '../../infra/db/index.js';
import type { Cache } from '../../infra/cache/index.js';
import { cached } from '../../infra/cache/index.js';
import type { Bus } from '../../infra/bus/index.js';
import type { BusNames } from '../../infra/bus/index.js';
import type { Logger } from '../../infra/logger.js';
import type { SecretBox } from '../../infra/secrets.js';
import type { Metrics } from '../../infra/metrics.js';
import { CACHE_NS } from '../../registry/events.js';
import type { SchemaService } from '../../registry/schema.service.js';
import { variablesPerChannel } from '../../registry/variables.js';
import type { ProviderAccountService } from '../../providers/account.service.js';
import { createAdapter, createProviderHttp, type CreateAdapterOptions, type ResilientHttp } from '../../providers/index.js';
import { PROVIDERS, type DeviceRef, type ProviderAdapter, type ProviderName } from '../../providers/provider.js';
import type { Clock } from '../../lib/clock.js';
import { HOUR_MS, MINUTE_MS } from '../../lib/time.js';
import { encodeRawBatches } from '../ingest/raw-message.js';
import { CollectionRepository, type CollectPoint } from './collection.repository.js';

export type { CollectPoint } from './collection.repository.js';

export interface ProviderStats {
  points: number;
  ok: number;
  no_data: number;
  failed: number;
  readings: number;
  /** Why the last point collection of this provider in the tick failed (dashboards show it). */
  last_error?: string;
}

export interface CollectionStats extends ProviderStats {
  by_provider: Record<string, ProviderStats>;
  /** Points whose collection failed (provider, bus or database): what a retry collects again. */
  failed_points: number[];
}

export type PointResult = 'ok' | 'no_data' | 'request_failed';

/** A backlog is fetched in windows of this length (see collectPoints). */
export const COLLECTION_WINDOW_MS = 6 * HOUR_MS;

interface PointJob {
  point: CollectPoint;
  adapter: ProviderAdapter;
  device: DeviceRef;
  variablesByChannel: Map<string, string[]>;
  cursorOf: Map<string, number>;
  /** Start of the next window (exclusive) and the end of the whole collection. */
  from: number;
  to: number;
  readings: number;
  failed: boolean;
  error?: string;
}

/** With no telemetry start date, a new point's first collection looks back this far. */
export const DEFAULT_LOOKBACK_MS = 24 * HOUR_MS;

/**
 * The collector: active points of a frequency come from the cache, grouped by provider, providers in
 * parallel. Each point variable has a cursor; collection asks for everything since it, publishes raw
 * readings, and moves the cursor only after the bus acknowledged.
 */
export class CollectionService {
  private readonly adapters = new Map<string, ProviderAdapter>();
  private readonly http = new Map<ProviderName, ResilientHttp>();
  private readonly repo: CollectionRepository;

  constructor(
    private readonly deps: {
      db: Db;
      cache: Cache;
      bus: Bus;
      topics: BusNames;
      schemas: SchemaService;
      secrets: SecretBox;
      accounts: ProviderAccountService;
      logger: Logger;
      clock: Clock;
      metrics: Metrics;
      adapterOptions?: CreateAdapterOptions;
    },
  ) {
    this.repo = new CollectionRepository(deps.db);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  /** Active points to collect, from the cache (invalidated by any registry change). Ciphertext only. */
  async activePoints(frequency?: number): Promise<CollectPoint[]> {
    const text = await cached(this.deps.cache, CACHE_NS.activePoints, `collector|f${frequency ?? '*'}`, 300, async () =>
      JSON.stringify(await this.repo.activePoints(PROVIDERS, frequency)),
    );
    return JSON.parse(text) as CollectPoint[];
  }

  /** Collects the active points of `frequency` (only those in `only`, when given: a retry of the failed ones). */
  async collectFrequency(frequency: number, signal?: AbortSignal, only?: ReadonlySet<number>): Promise<CollectionStats> {
    const started = performance.now();
    const points = (await this.activePoints(frequency)).filter((p) => !only || only.has(p.id));
    const stats = await this.collectPoints(points, signal);
    this.deps.metrics.collectionDuration.observe({ frequency: String(frequency) }, (performance.now() - started) / 1000);
    return stats;
  }

  /** Catch-up: active points (of the given frequencies) whose oldest cursor is more than one period behind. */
  async collectLagging(frequencies?: readonly number[], signal?: AbortSignal): Promise<CollectionStats> {
    const now = this.now().getTime();
    const points = (await this.activePoints()).filter((p) => !frequencies || frequencies.includes(p.frequency));
    const cursors = await this.repo.loadCursors(points.map((p) => p.id));
    const lagging = points.filter((p) => {
      const own = cursors.get(p.id);
      const oldest = own && own.size > 0 ? Math.min(...own.values()) : this.startOf(p);
      return now - oldest > p.frequency * MINUTE_MS;
    });
    if (lagging.length > 0) this.deps.logger.info({ points: lagging.length }, 'catching up points behind their cursor');
    return this.collectPoints(lagging, signal);
  }

  /**
   * Collects each point from its cursor to now. A long backlog is fetched in windows, round-robin
   * across points, so every point's recent hours arrive early instead of after the whole backlog of
   * the points before it; within a point, windows go oldest first so the processor sees time order.
   */
  async collectPoints(points: CollectPoint[], signal?: AbortSignal): Promise<CollectionStats> {
    const stats: CollectionStats = { points: points.length, ok: 0, no_data: 0, failed: 0, readings: 0, by_provider: {}, failed_points: [] };
    if (points.length === 0) return stats;
    const [accounts, cursors] = await Promise.all([this.deps.accounts.forCollection(), this.repo.loadCursors(points.map((p) => p.id))]);
    const to = this.now();
    const jobs: PointJob[] = [];
    for (const p of points) {
      const job = await this.prepare(p, accounts, cursors.get(p.id) ?? new Map(), to);
      if (typeof job === 'string') {
        this.count(stats, p.provider, job, 0, job === 'request_failed' ? `no ${p.provider} provider account` : undefined);
        if (job === 'request_failed') stats.failed_points.push(p.id);
      } else jobs.push(job);
    }
    let pending = jobs;
    // Stopping ends the collection after the window in flight: the cursors keep the rest for later.
    while (pending.length > 0 && !signal?.aborted) {
      await Promise.all(
        pending.map((job) =>
          this.collectWindow(job).catch((err: unknown) => {
            this.deps.logger.error({ err, point_id: job.point.id, provider: job.point.provider }, 'collection of a point failed');
            job.failed = true;
            job.error = `point ${job.point.id}: ${(err as Error).message}`;
          }),
        ),
      );
      pending = pending.filter((j) => !j.failed && j.from < j.to);
    }
    for (const job of jobs) {
      this.count(stats, job.point.provider, job.failed ? 'request_failed' : job.readings > 0 ? 'ok' : 'no_data', job.readings, job.error);
      if (job.failed) stats.failed_points.push(job.point.id);
    }
    return stats;
  }

  private count(stats: CollectionStats, provider: string, result: PointResult, readings: number, error?: string) {
    const mine = (stats.by_provider[provider] ??= { points: 0, ok: 0, no_data: 0, failed: 0, readings: 0 });
    const key = result === 'request_failed' ? 'failed' : result;
    mine.points++;
    mine[key]++;
    mine.readings += readings;
    if (result === 'request_failed' && error) mine.last_error = error;
    stats[key]++;
    stats.readings += readings;
    this.deps.metrics.collectionRequests.inc({ provider, result });
    if (readings) this.deps.metrics.collectionReadings.inc({ provider }, readings);
  }

  private startOf(p: CollectPoint): number {
    return p.telemetry_start_at ? Date.parse(p.telemetry_start_at) : this.now().getTime() - DEFAULT_LOOKBACK_MS;
  }

  /** Resolves account, adapter, device and channels of a point; a string when there is nothing to fetch. */
  private async prepare(
    point: CollectPoint,
    accounts: Awaited<ReturnType<ProviderAccountService['forCollection']>>,
    cursors: Map<string, number>,
    to: Date,
  ): Promise<PointJob | PointResult> {
    const provider = point.provider as ProviderName;
    const accountId = point.provider_account_id ?? accounts.defaults.get(provider);
    const account = accountId === undefined ? undefined : accounts.byId.get(accountId);
    if (!account) {
      this.deps.logger.warn({ point_id: point.id, provider }, `no ${provider} provider account: create one (POST /api/v1/provider-accounts) or mark one as default`);
      return 'request_failed';
    }
    const variablesByChannel = variablesPerChannel(await this.deps.schemas.variables(point.id));
    if (variablesByChannel.size === 0) return 'no_data';
    const start = this.startOf(point);
    const all = [...variablesByChannel.values()].flat();
    const cursorOf = new Map(all.map((v) => [v, cursors.get(v) ?? start]));
    const from = Math.min(...cursorOf.values());
    if (from >= to.getTime()) return 'no_data';
    return {
      point,
      adapter: this.adapterFor(accountId!, account, provider),
      device: {
        deviceId: point.provider_device ?? undefined,
        token: point.provider_token_enc ? this.deps.secrets.decrypt(point.provider_token_enc) : undefined,
      },
      variablesByChannel,
      cursorOf,
      from,
      to: to.getTime(),
      readings: 0,
      failed: false,
    };
  }

  /** Fetches the job's next window, publishes it, and moves the cursors once the bus acknowledged. */
  private async collectWindow(job: PointJob): Promise<void> {
    const windowEnd = Math.min(job.from + COLLECTION_WINDOW_MS, job.to);
    const res = await job.adapter.history(job.device, [...job.variablesByChannel.keys()], new Date(job.from), new Date(windowEnd));
    if (res.status === 'request_failed') {
      this.deps.logger.warn({ point_id: job.point.id, provider: job.point.provider, error: res.error, http_status: res.httpStatus }, 'provider request failed; the cursor stays and the collection is retried');
      job.failed = true;
      job.error = `point ${job.point.id}: ${res.error}${res.httpStatus ? ` (HTTP ${res.httpStatus})` : ''}`;
      return;
    }
    job.from = windowEnd;
    if (res.status === 'no_data') return;
    const readings: { variable: string; ts: string; raw: unknown }[] = [];
    const newest = new Map<string, number>();
    for (const r of res.readings) {
      const t = r.ts.getTime();
      for (const variable of job.variablesByChannel.get(r.channel) ?? []) {
        if (t <= job.cursorOf.get(variable)!) continue;
        readings.push({ variable, ts: r.ts.toISOString(), raw: r.value });
        if (t > (newest.get(variable) ?? 0)) newest.set(variable, t);
      }
    }
    if (readings.length === 0) return;
    readings.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    await this.deps.bus.publish(
      this.deps.topics.raw,
      encodeRawBatches({ point_id: job.point.id, provider: job.point.provider, collected_at: new Date(job.to).toISOString() }, readings),
    );
    await this.repo.saveCursors(job.point.id, newest);
    for (const [v, t] of newest) job.cursorOf.set(v, t);
    job.readings += readings.length;
  }

  private adapterFor(accountId: number, account: Parameters<typeof createAdapter>[1], provider: ProviderName): ProviderAdapter {
    const key = `${accountId}|${account.baseUrl}|${account.username ?? ''}|${account.password ?? ''}`;
    let adapter = this.adapters.get(key);
    if (!adapter) {
      let http = this.http.get(provider);
      if (!http) this.http.set(provider, (http = createProviderHttp(provider, this.deps.adapterOptions?.resilience, this.deps.logger)));
      adapter = createAdapter(provider, account, { ...this.deps.adapterOptions, http, logger: this.deps.logger });
      this.adapters.set(key, adapter);
    }
    return adapter;
  }
}
