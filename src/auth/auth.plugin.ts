import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyJwt from '@fastify/jwt';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { Container } from '../container.js';
import type { Principal, Role } from './principal.js';
import type { Session } from './auth.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /** True when the caller sent an API key rather than a session token. */
    viaApiKey: boolean;
    /** Set when the caller is an ingest key: the only points it may push readings to. */
    ingestPointIds: readonly number[] | null;
  }
  interface FastifyContextConfig {
    /** The route takes ingest keys (pushing readings); every other route refuses them with 403. */
    acceptsIngestKeys?: boolean;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    /** `tv`: the user's token version when signed; a token with an older one is refused. */
    payload: { sub: string; role: Role; cid: number | null; tv: number };
  }
}

export const TOKEN_TTL = '12h';

/** Bearer tokens (signed session tokens) and API keys (`shk_…`) share the Authorization header. */
export async function registerAuth(app: FastifyInstance, c: Container) {
  await app.register(fastifyJwt, { secret: c.secrets.signingKey(), sign: { expiresIn: TOKEN_TTL } });
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('ingestPointIds', null);
  app.decorateRequest('viaApiKey', false);

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new UnauthorizedError();
    const token = m[1]!;
    if (token.startsWith('shk_')) {
      const access = await c.auth.principalForApiKey(token);
      if (!access) throw new UnauthorizedError('API key is unknown or revoked');
      if (access.ingestPointIds && !request.routeOptions.config.acceptsIngestKeys) {
        throw new ForbiddenError('this is an ingest key: it may only push readings (POST /api/v1/points/{id}/readings) to its points');
      }
      request.principal = access.principal;
      request.ingestPointIds = access.ingestPointIds;
      request.viaApiKey = true;
      return;
    }
    let payload: { sub: string; role: Role; cid: number | null; tv?: number };
    try {
      payload = app.jwt.verify<{ sub: string; role: Role; cid: number | null; tv?: number }>(token);
    } catch {
      throw new UnauthorizedError('token is invalid or expired: log in again at POST /api/v1/auth/login');
    }
    const userId = Number(payload.sub);
    if (!(await c.auth.sessionValid(userId, payload.tv ?? 0))) {
      throw new UnauthorizedError('this session has ended (logged out, password changed, or the user was disabled or deleted): log in again at POST /api/v1/auth/login');
    }
    request.principal = { userId, role: payload.role, clientId: payload.cid };
  });
}

export function signToken(app: FastifyInstance, s: Session): string {
  const p = s.principal;
  return app.jwt.sign({ sub: String(p.userId), role: p.role, cid: p.clientId, tv: s.tokenVersion });
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
}
