import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sendProblem } from './problem.js';

/** Paths the API and operations own: the web application never answers them, even for a browser. */
const SERVER_PATHS = /^\/(api|health|metrics|docs|openapi\.json|stats)(\/|$|\?)/;
/** Vite names built assets by their content hash: they never change, so they may be cached for good. */
const HASHED_ASSET = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

export interface WebApp {
  /** True when this request is a browser asking for a page of the application (the SPA fallback). */
  wantsPage(req: FastifyRequest): boolean;
  sendPage(req: FastifyRequest, reply: FastifyReply): FastifyReply;
}

/**
 * Serves the built web application from `webDir`: each built file at its path (hashed assets cached
 * immutable, everything else revalidated), `/` and any other page path a browser asks for answer
 * index.html, so links into the application survive a reload.
 */
export async function registerWebApp(app: FastifyInstance, webDir: string): Promise<WebApp> {
  const built = existsSync(join(webDir, 'index.html'));
  const wantsPage = (req: FastifyRequest) =>
    (req.method === 'GET' || req.method === 'HEAD') && !SERVER_PATHS.test(req.url) && (req.headers.accept ?? '').includes('text/html');

  if (!built) {
    const notBuilt = (req: FastifyRequest, reply: FastifyReply) =>
      sendProblem(reply, req, 503, 'WEB_NOT_BUILT', `the web application is not built (no ${join(webDir, 'index.html')}); run npm run build`);
    app.get('/', { schema: { hide: true } }, async (req, reply) => notBuilt(req, reply));
    return { wantsPage, sendPage: notBuilt };
  }

  // One route per built file (no wildcard), so unknown paths still reach the not-found handler.
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    wildcard: false,
    index: false,
    cacheControl: false,
    schemaHide: true,
    setHeaders: (reply, path) => {
      reply.header('cache-control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendPage = (_req: FastifyRequest, reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
  app.get('/', { schema: { hide: true } }, async (req, reply) => sendPage(req, reply));
  return { wantsPage, sendPage };
}
