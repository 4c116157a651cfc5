/**
 * One Fastify app serving the Twin, Nettra and Novus APIs under `/twin`, `/nettra`, `/novus`, plus
 * a control API under `/_sim` (faults, stats).
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { PROVIDERS } from '../provider.js';
import { DEFAULT_LIMITS, type SimContext, type SimulatorLimits } from './context.js';
import { DATA_FAULTS, FaultStore, REQUEST_FAULTS, type FaultSpec } from './faults.js';
import { nettraRoutes } from './nettra.routes.js';
import { novusRoutes } from './novus.routes.js';
import { twinRoutes } from './twin.routes.js';

export interface ProviderSimulatorOptions {
  /** "Now" for the simulator: no reading is ever later than this. Default: the real clock. */
  clock?: () => Date;
  /** A pino-compatible logger; default silent. */
  logger?: FastifyBaseLogger;
  /** Lifetime of Twin JWTs (default 9000 s, as ThingsBoard). */
  twinTokenTtlSeconds?: number;
  limits?: Partial<SimulatorLimits>;
}

const faultSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: [...REQUEST_FAULTS, ...DATA_FAULTS] },
    provider: { type: 'string', enum: [...PROVIDERS, '*'] },
    device: { type: 'string', minLength: 1 },
    channels: { type: 'array', items: { type: 'string' } },
    count: { type: 'integer', minimum: 1 },
    retryAfterSeconds: { type: 'integer', minimum: 0 },
    hangMs: { type: 'integer', minimum: 0 },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    codes: { type: 'array', items: { type: 'number' }, minItems: 1 },
    every: { type: 'integer', minimum: 1 },
  },
} as const;

export function buildProviderSimulator(options: ProviderSimulatorOptions = {}): FastifyInstance {
  // Request logging is our own so that Nettra thing tokens in paths never reach the log.
  const app = options.logger
    ? Fastify({ loggerInstance: options.logger, forceCloseConnections: true, disableRequestLogging: true })
    : Fastify({ logger: false, forceCloseConnections: true });
  const clock = options.clock ?? (() => new Date());
  const ctx: SimContext = {
    now: () => clock().getTime(),
    faults: new FaultStore(),
    stats: { requests: { twin: 0, nettra: 0, novus: 0 }, twinLogins: 0 },
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    twinTokenTtlSeconds: options.twinTokenTtlSeconds ?? 9_000,
    twinSecret: randomBytes(32),
    hangs: new Set(),
  };

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: redactPath(request.url), statusCode: reply.statusCode },
      'simulated provider request',
    );
  });
  app.addHook('onClose', async () => {
    for (const hang of ctx.hangs) hang.abort();
  });

  void app.register(twinRoutes, { prefix: '/twin', ctx });
  void app.register(nettraRoutes, { prefix: '/nettra', ctx });
  void app.register(novusRoutes, { prefix: '/novus', ctx });

  app.post<{ Body: FaultSpec }>('/_sim/faults', { schema: { body: faultSchema } }, async (request, reply) => {
    return reply.code(201).send({ fault: ctx.faults.add(request.body) });
  });
  app.get('/_sim/faults', async () => ({ faults: ctx.faults.list() }));
  app.delete<{ Querystring: { provider?: string; device?: string } }>('/_sim/faults', async (request) => ({
    cleared: ctx.faults.clear(request.query),
  }));
  app.get('/_sim/stats', async () => ({
    requests: { ...ctx.stats.requests },
    twin_logins: ctx.stats.twinLogins,
    faults_applied: { ...ctx.faults.applied },
    active_faults: ctx.faults.list().length,
  }));

  return app;
}

export function redactPath(url: string): string {
  return url.replace(/\/things\/[^/?]+/, '/things/***');
}

export interface RunningSimulator {
  /** e.g. `http://127.0.0.1:41234`; adapters use `${url}/twin`, `${url}/nettra`, `${url}/novus`. */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startProviderSimulator(
  options: ProviderSimulatorOptions & { port?: number; host?: string } = {},
): Promise<RunningSimulator> {
  const { port = 0, host = '127.0.0.1', ...rest } = options;
  const app = buildProviderSimulator(rest);
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return { url: `http://${host}:${boundPort}`, app, close: () => app.close() };
}
