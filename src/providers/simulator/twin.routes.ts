/** Simulated Twin (TwinDimension TDATA, a ThingsBoard deployment): login and timeseries. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { applyRequestFault, parseIntParam, serveReadings, type SimContext } from './context.js';

export const TWIN_DEMO_PASSWORD = 'demo';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export function signJwt(payload: Record<string, unknown>, secret: Buffer): string {
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

type Verdict = { ok: true } | { ok: false; expired: boolean };

export function verifyJwt(token: string, secret: Buffer, nowMs: number): Verdict {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return { ok: false, expired: false };
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, expired: false };
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return { ok: false, expired: true };
    return { ok: true };
  } catch {
    return { ok: false, expired: false };
  }
}

function thingsboardError(reply: FastifyReply, ctx: SimContext, status: number, message: string, errorCode: number) {
  return reply.code(status).send({ status, message, errorCode, timestamp: ctx.now() });
}

function bearer(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

interface TimeseriesQuery {
  keys?: string;
  startTs?: string;
  endTs?: string;
  limit?: string;
  orderBy?: string;
  asc?: string;
}

export async function twinRoutes(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  app.addHook('onRequest', async () => {
    ctx.stats.requests.twin++;
  });

  app.post<{ Body: { username?: unknown; password?: unknown } | undefined }>('/login', async (request, reply) => {
    if (await applyRequestFault(ctx, { provider: 'twin' }, request, reply)) return reply;
    const { username, password } = request.body ?? {};
    if (typeof username !== 'string' || username === '' || password !== TWIN_DEMO_PASSWORD) {
      return thingsboardError(reply, ctx, 401, 'Invalid username or password', 10);
    }
    ctx.stats.twinLogins++;
    const iat = Math.floor(ctx.now() / 1000);
    const claims = { sub: username, scopes: ['TENANT_ADMIN'], iss: 'smarthydro-simulator', iat };
    return {
      token: signJwt({ ...claims, exp: iat + ctx.twinTokenTtlSeconds }, ctx.twinSecret),
      refreshToken: signJwt({ ...claims, scopes: ['REFRESH_TOKEN'], exp: iat + 7 * 86_400 }, ctx.twinSecret),
    };
  });

  app.get<{ Params: { entityType: string; entityId: string }; Querystring: TimeseriesQuery }>(
    '/telemetry/:entityType/:entityId/values/timeseries',
    async (request, reply) => {
      const token = bearer(request.headers['x-authorization']) ?? bearer(request.headers.authorization);
      if (!token) return thingsboardError(reply, ctx, 401, 'Authentication failed', 10);
      const verdict = verifyJwt(token, ctx.twinSecret, ctx.now());
      if (!verdict.ok) {
        return verdict.expired
          ? thingsboardError(reply, ctx, 401, 'Token has expired', 11)
          : thingsboardError(reply, ctx, 401, 'Authentication failed', 10);
      }
      const { entityType, entityId } = request.params;
      if (await applyRequestFault(ctx, { provider: 'twin', device: entityId }, request, reply)) return reply;
      if (entityType !== 'DEVICE') return thingsboardError(reply, ctx, 400, `Unsupported entity type ${entityType}`, 31);

      const q = request.query;
      const keys = (q.keys ?? '').split(',').map((k) => k.trim()).filter(Boolean);
      if (keys.length === 0) return thingsboardError(reply, ctx, 400, "Required parameter 'keys' is not present", 31);
      const startTs = parseIntParam(q.startTs);
      const endTs = parseIntParam(q.endTs);
      const limit = q.limit === undefined ? ctx.limits.twinDefaultLimit : parseIntParam(q.limit);
      if ((q.startTs !== undefined && startTs === undefined) || (q.endTs !== undefined && endTs === undefined)) {
        return thingsboardError(reply, ctx, 400, 'startTs and endTs must be epoch milliseconds', 31);
      }
      if ((startTs === undefined) !== (endTs === undefined)) {
        return thingsboardError(reply, ctx, 400, 'startTs and endTs go together', 31);
      }
      if (limit === undefined || limit < 1) return thingsboardError(reply, ctx, 400, 'limit must be a positive integer', 31);

      const faults = ctx.faults.takeDataFaults({ provider: 'twin', device: entityId });
      const ascending = (q.orderBy ?? '').toUpperCase() === 'ASC' || q.asc === 'true';
      const body: Record<string, Array<{ ts: number; value: string }>> = {};
      for (const key of keys) {
        const readings =
          startTs === undefined || endTs === undefined
            ? serveReadings(ctx, entityId, key, faults, { startMs: 0, endMs: ctx.now(), order: 'desc', limit: 1 })
            : serveReadings(ctx, entityId, key, faults, {
                startMs: startTs,
                endMs: endTs - 1, // ThingsBoard: startTs <= ts < endTs
                order: ascending ? 'asc' : 'desc',
                limit: Math.min(limit, ctx.limits.twinMaxLimit),
              });
        if (readings.length > 0) body[key] = readings.map((r) => ({ ts: r.tsMs, value: String(r.value) }));
      }
      return body;
    },
  );
}
