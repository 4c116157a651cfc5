/** Simulated Nettra (theThings.io): resource values by thing token, newest first. */
import type { FastifyInstance } from 'fastify';
import { applyRequestFault, parseIntParam, serveReadings, type SimContext } from './context.js';

/** `YYYYMMDDHHmmss` (UTC) to epoch ms; undefined when malformed. */
export function parseThethingsDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d ? ms : undefined;
}

interface ResourceQuery {
  limit?: string;
  startDate?: string;
  endDate?: string;
}

export async function nettraRoutes(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  app.addHook('onRequest', async () => {
    ctx.stats.requests.nettra++;
  });

  app.get<{ Params: { thingToken: string; key: string }; Querystring: ResourceQuery }>(
    '/v2/things/:thingToken/resources/:key',
    async (request, reply) => {
      const { thingToken, key } = request.params;
      if (await applyRequestFault(ctx, { provider: 'nettra', device: thingToken }, request, reply)) return reply;
      const q = request.query;
      const limit = q.limit === undefined ? ctx.limits.nettraDefaultLimit : parseIntParam(q.limit);
      const start = q.startDate === undefined ? 0 : parseThethingsDate(q.startDate);
      // endDate names a whole second, which is included.
      const endSecond = q.endDate === undefined ? ctx.now() : parseThethingsDate(q.endDate);
      if (limit === undefined || limit < 1 || start === undefined || endSecond === undefined) {
        return reply.code(400).send({ status: 'error', message: 'limit must be a positive integer; dates are YYYYMMDDHHmmss' });
      }
      const faults = ctx.faults.takeDataFaults({ provider: 'nettra', device: thingToken });
      const readings = serveReadings(ctx, thingToken, key, faults, {
        startMs: start,
        endMs: q.endDate === undefined ? endSecond : endSecond + 999,
        order: 'desc',
        limit: Math.min(limit, ctx.limits.nettraMaxLimit),
      });
      return readings.map((r) => ({ value: r.value, datetime: new Date(r.tsMs).toISOString() }));
    },
  );
}
