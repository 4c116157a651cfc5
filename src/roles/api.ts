import type { FastifyInstance } from 'fastify';
import type { Container } from '../container.js';
import { buildApp, type AppOptions } from '../http/app.js';

/**
 * Node flags an api process runs with (arguments of `node` before the entry point in deploy/k8s/api.yaml and
 * compose.yaml; the bench starts its api process with them). Not NODE_OPTIONS: node refuses this V8 flag there.
 * V8 counts Buffers made since its last full collection against the old generation's limit, and sets that limit to
 * about 1.3× what survived. An api serving a 10,000-point dashboard while every point is written each minute makes
 * ~6 MB of Buffers a second (shards read from Redis, answers assembled) over a JS heap of ~45 MB: it ran a full
 * collection every 1–2 s, whose marking steps (up to 16 ms) held up requests. With the limit at 3× what survived,
 * 8–9 full collections in the bench's busy phase instead of 34–44, and a peak RSS of 205–222 MB instead of 172–215.
 */
export const API_NODE_FLAGS = ['--heap-growing-percent=200'];

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
