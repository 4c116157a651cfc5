import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import { AppError } from '../errors.js';
import { asInteractive } from '../infra/db/priority.js';
import type { Container } from '../container.js';
import { registerAuth } from '../auth/auth.plugin.js';
import { authRoutes } from '../auth/auth.routes.js';
import { registryRoutes } from '../registry/registry.routes.js';
import { pointRoutes } from '../registry/point.routes.js';
import { dgaRoutes } from '../dga/dga.routes.js';
import { providerAccountRoutes } from '../providers/account.routes.js';
import { errorHandler, sendProblem } from './problem.js';
import { defaultedFieldsOptional, ProblemSchema } from './schemas.js';
import { validatorCompiler } from './validation.js';
import { rejectHostileInput } from './input-guard.js';
import { healthRoutes, type HealthCheck } from './health.routes.js';
import { registerMetrics } from './metrics.routes.js';
import { statsRoutes } from './stats.routes.js';
import { queryRoutes } from '../telemetry/query/query.routes.js';
import { csvImportRoutes } from '../telemetry/ingest/csv.routes.js';
import { deadLetterRoutes } from '../telemetry/dead-letters/dead-letter.routes.js';
import { pushRoutes } from '../telemetry/ingest/push.routes.js';
import { correctionRoutes } from '../telemetry/corrections/correction.routes.js';
import { erpRoutes } from '../erp/erp.routes.js';
import { metaRoutes } from './meta.routes.js';
import { registerWebApp } from './web.js';
import { overviewRoutes } from '../overview/overview.routes.js';

export interface AppOptions {
  /** Extra parts /health checks (bus, …) beyond the database and the cache. */
  healthChecks?: Record<string, HealthCheck>;
}

/** A caller's x-request-id is kept (to follow a request across systems) only when it cannot forge log lines or headers. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The whole request (headers and body) must arrive within this; a client trickling bytes holds no socket longer. */
export const REQUEST_TIMEOUT_MS = 30_000;

export async function buildApp(c: Container, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: c.logger as FastifyBaseLogger,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 5 * 1024 * 1024,
    requestTimeout: REQUEST_TIMEOUT_MS,
  }) as unknown as FastifyInstance;

  // Everything a request does runs as interactive work: the embedded database lets it go before queued
  // background work (collection, processing, back-fill), so the dashboard stays quick while they run.
  app.addHook('onRequest', (_req, _reply, done) => asInteractive(done));
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('preValidation', rejectHostileInput);
  app.addHook('onRoute', defaultedFieldsOptional);
  app.setErrorHandler(errorHandler);
  const web = await registerWebApp(app, c.config.webDir);
  app.setNotFoundHandler((req, reply) =>
    web.wantsPage(req)
      ? web.sendPage(req, reply)
      : sendProblem(reply, req, 404, 'ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; see /docs`),
  );
  app.addSchema(ProblemSchema);
  app.setValidatorCompiler(validatorCompiler([ProblemSchema]));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'SmartHydro API', version: '1', description: 'Water telemetry and DGA compliance' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // Strict default headers everywhere; the Swagger UI pages get their own CSP (hashes of its inline script
  // and style). No upgrade-insecure-requests: the embedded set-up is served over plain HTTP.
  // The web map draws in web workers MapLibre starts from blob: URLs; a configured map style's host serves tiles.
  const mapOrigin = c.config.mapStyleUrl ? [new URL(c.config.mapStyleUrl).origin] : [];
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        upgradeInsecureRequests: null,
        workerSrc: ["'self'", 'blob:'],
        childSrc: ["'self'", 'blob:'],
        imgSrc: ["'self'", 'data:', 'blob:', ...mapOrigin],
        connectSrc: ["'self'", ...mapOrigin],
      },
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerMetrics(app, { metrics: c.metrics, refreshBusLag: () => c.stats.busLag() });

  // Limits only where a route asks for one (`config.rateLimit`); counted in Redis when REDIS_URL is set,
  // so every API process shares them.
  await app.register(fastifyRateLimit, {
    global: false,
    redis: c.rateLimitRedis,
    nameSpace: `${c.config.cachePrefix}:rate-limit:`,
    errorResponseBuilder: (_req, ctx) =>
      new AppError('RATE_LIMITED', `too many requests: at most ${ctx.max} per ${ctx.after}; try again in ${Math.ceil(ctx.ttl / 1000)} s`, 429),
  });
  await registerAuth(app, c);
  await app.register(healthRoutes(c, opts.healthChecks ?? {}));
  await statsRoutes(app, c.stats);

  await app.register(
    async (api) => {
      await api.register(authRoutes, { auth: c.auth, loginRateLimit: c.config.loginRateLimit });
      await api.register(metaRoutes, { reportTimezone: c.config.reportTimezone, mapStyleUrl: c.config.mapStyleUrl });
      await api.register(async (secured) => {
        secured.addHook('onRequest', app.authenticate);
        await secured.register(registryRoutes, { clients: c.clients, projects: c.projects, schemas: c.schemas });
        await secured.register(pointRoutes, { points: c.points });
        await queryRoutes(secured, c);
        await dgaRoutes(secured, { dga: c.dga, reportTimezone: c.config.reportTimezone });
        await secured.register(providerAccountRoutes, { providerAccounts: c.providerAccounts });
        await secured.register(csvImportRoutes, { csvImport: c.csvImport });
        await secured.register(deadLetterRoutes, { deadLetters: c.deadLetters });
        await pushRoutes(secured, { push: c.push });
        await secured.register(correctionRoutes, { corrections: c.corrections });
        await secured.register(erpRoutes, { erp: c.erp });
        await overviewRoutes(secured, { overview: c.overview });
      });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
