import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyJwt from '@fastify/jwt';
import { UnauthorizedError } from '../errors.js';
import type { Container } from '../container.js';
import type { Principal, Role } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; role: Role; cid: number | null };
  }
}

export const TOKEN_TTL = '12h';

/** Bearer tokens (signed session tokens) and API keys (`shk_…`) share the Authorization header. */
export async function registerAuth(app: FastifyInstance, c: Container) {
  await app.register(fastifyJwt, { secret: c.secrets.signingKey(), sign: { expiresIn: TOKEN_TTL } });
  app.decorateRequest('principal', null as unknown as Principal);

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new UnauthorizedError();
    const token = m[1]!;
    if (token.startsWith('shk_')) {
      const p = await c.auth.principalForApiKey(token);
      if (!p) throw new UnauthorizedError('API key is unknown or revoked');
      request.principal = p;
      return;
    }
    try {
      const payload = app.jwt.verify<{ sub: string; role: Role; cid: number | null }>(token);
      request.principal = { userId: Number(payload.sub), role: payload.role, clientId: payload.cid };
    } catch {
      throw new UnauthorizedError('token is invalid or expired: log in again at POST /api/v1/auth/login');
    }
  });
}

export function signToken(app: FastifyInstance, p: Principal): string {
  return app.jwt.sign({ sub: String(p.userId), role: p.role, cid: p.clientId });
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
}
