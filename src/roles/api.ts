import type { FastifyInstance } from 'fastify';
import type { Container } from '../container.js';
import { buildApp, type AppOptions } from '../http/app.js';

export interface RunningRole {
  name: string;
  stop(): Promise<void>;
}

/** The api role: HTTP server. Stopping stops accepting, lets in-flight requests finish, then returns. */
export async function startApi(c: Container, opts: AppOptions = {}): Promise<RunningRole & { app: FastifyInstance; url: string }> {
  const app = await buildApp(c, opts);
  const url = await app.listen({ port: c.config.port, host: c.config.host });
  return {
    name: 'api',
    app,
    url,
    async stop() {
      await app.close();
    },
  };
}
