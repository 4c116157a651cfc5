import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Container } from '../container.js';

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

/** GET /health: every part in use answers, or 503 naming the one that does not. */
export const healthRoutes =
  (c: Container, extra: Record<string, HealthCheck>): FastifyPluginAsync =>
  async (app) => {
    const checks: Record<string, HealthCheck> = {
      database: async () => (await c.db.ping(), { ok: true, detail: c.db.kind }),
      cache: async () => (await c.cache.ping(), { ok: true, detail: c.cache.kind }),
      bus: async () => {
        const h = await c.bus.health();
        return { ok: h.ok, detail: h.detail ?? c.bus.kind };
      },
      ...extra,
    };
    app.get('/health', { schema: { tags: ['operations'], security: [], response: { 200: Health, 503: Health } } }, async (req, reply) => {
      const names = Object.keys(checks);
      const [results, staff] = await Promise.all([Promise.all(names.map((n) => run(checks[n]!))), isStaff(app, req)]);
      // Why a part is down (connection strings, hosts, driver messages) is for staff; others see that it is.
      if (!staff) for (const r of results) if (r.status === 'down') delete r.detail;
      const out = Object.fromEntries(names.map((n, i) => [n, results[i]]));
      const ok = results.every((r) => r.status === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'down', checks: out });
    });
  };
