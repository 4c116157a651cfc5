import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Container } from '../container.js';
import { DgaPointRepository } from '../dga/dga-point.repository.js';
import { ReporterHeartbeatRepository } from '../dga/reporter-heartbeat.repository.js';
import { PROVIDERS } from '../providers/provider.js';
import { CollectionRepository } from '../telemetry/collection/collection.repository.js';
import { TickClaimRepository } from '../telemetry/collection/tick.repository.js';
import { DEFAULT_PIPELINE_LIMITS, PipelineProbe } from './pipeline.health.js';

export type HealthCheck = () => Promise<{ ok: boolean; detail?: string }>;

const TIMEOUT_MS = 2000;

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
  checks: Type.Record(
    Type.String(),
    Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('down')]), detail: Type.Optional(Type.String()), latency_ms: Type.Integer() }),
  ),
});

async function run(check: HealthCheck): Promise<{ status: 'ok' | 'down'; detail?: string; latency_ms: number }> {
  const started = performance.now();
  try {
    const r = await Promise.race([
      check(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
    ]);
    const latency_ms = Math.round(performance.now() - started);
    return { status: r.ok ? 'ok' : 'down', ...(r.detail ? { detail: r.detail } : {}), latency_ms };
  } catch (err) {
    return { status: 'down', detail: (err as Error).message, latency_ms: Math.round(performance.now() - started) };
  }
}

/** Whether the caller sent a valid staff token or key; /health itself needs none. */
async function isStaff(app: FastifyInstance, req: FastifyRequest): Promise<boolean> {
  if (!req.headers.authorization) return false;
  try {
    await app.authenticate(req);
    return req.principal.role !== 'client';
  } catch {
    return false;
  }
}

/** The pipeline as the shared stores see it, whichever processes run the roles. */
function pipelineProbe(c: Container): PipelineProbe {
  const ticks = new TickClaimRepository(c.db);
  const collection = new CollectionRepository(c.db);
  const dgaPoints = new DgaPointRepository(c.db);
  const heartbeats = new ReporterHeartbeatRepository(c.db);
  const group = c.topics.processorGroup;
  return new PipelineProbe(
    {
      processorGroup: group,
      members: () => c.bus.members(group),
      lag: () => c.bus.lag(group, [c.topics.raw]),
      activeFrequencies: () => collection.activeFrequencies(PROVIDERS),
      lastTicks: (frequencies) => ticks.lastTicks(frequencies),
      anyDgaPoints: () => dgaPoints.anySending(),
      lastReporterBeat: () => heartbeats.latest(),
      clock: c.clock,
    },
    { ...DEFAULT_PIPELINE_LIMITS, reporterStaleMs: c.config.healthReporterStaleMs },
  );
}

/** Checks whose detail carries deployment figures (group names, lag, times): shown to staff only. */
const STAFF_DETAIL = new Set(['processor', 'collector', 'reporter']);

/**
 * GET /health: every part in use answers, or 503 naming the one that does not. Besides this process's own
 * connections, the pipeline: a processor consumes the raw topic, the collector claims its ticks, a reporter runs.
 */
export const healthRoutes =
  (c: Container, extra: Record<string, HealthCheck>): FastifyPluginAsync =>
  async (app) => {
    const probe = pipelineProbe(c);
    const checks: Record<string, HealthCheck> = {
      database: async () => (await c.db.ping(), { ok: true, detail: c.db.kind }),
      cache: async () => (await c.cache.ping(), { ok: true, detail: c.cache.kind }),
      bus: async () => {
        const h = await c.bus.health();
        return { ok: h.ok, detail: h.detail ?? c.bus.kind };
      },
      processor: () => probe.processor(),
      collector: () => probe.collector(),
      reporter: () => probe.reporter(),
      ...extra,
    };
    app.get('/health', { schema: { tags: ['operations'], security: [], response: { 200: Health, 503: Health } } }, async (req, reply) => {
      const names = Object.keys(checks);
      const [results, staff] = await Promise.all([Promise.all(names.map((n) => run(checks[n]!))), isStaff(app, req)]);
      // Why a part is down (connection strings, hosts, driver messages) is for staff; others see that it is.
      if (!staff) results.forEach((r, i) => (r.status === 'down' || STAFF_DETAIL.has(names[i]!)) && delete r.detail);
      const out = Object.fromEntries(names.map((n, i) => [n, results[i]]));
      const ok = results.every((r) => r.status === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'down', checks: out });
    });
  };
