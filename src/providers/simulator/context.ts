/** State shared by the simulated provider APIs: clock, faults, counters, and reading generation. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderName } from '../provider.js';
import { applyValueFaults, gapWindows, type ActiveFault, type FaultStore, type RequestTarget } from './faults.js';
import { readingTimes, simulatedValue, wellProfile } from './series.js';

export interface SimulatorLimits {
  /** Twin (ThingsBoard) `limit` when absent. */
  twinDefaultLimit: number;
  twinMaxLimit: number;
  /** Nettra (theThings.io) `limit` when absent, and its cap. */
  nettraDefaultLimit: number;
  nettraMaxLimit: number;
  /** Novus (TagoIO) `qty` when absent, and its cap. */
  novusDefaultQty: number;
  novusMaxQty: number;
}

export const DEFAULT_LIMITS: SimulatorLimits = {
  twinDefaultLimit: 100,
  twinMaxLimit: 50_000,
  nettraDefaultLimit: 1,
  nettraMaxLimit: 5_000,
  novusDefaultQty: 15,
  novusMaxQty: 10_000,
};

export interface SimulatorStats {
  requests: Record<ProviderName, number>;
  twinLogins: number;
}

export interface SimContext {
  now(): number;
  faults: FaultStore;
  stats: SimulatorStats;
  limits: SimulatorLimits;
  twinTokenTtlSeconds: number;
  twinSecret: Buffer;
  /** Requests hanging on a timeout fault; released when the app closes. */
  hangs: Set<AbortController>;
}

export interface ServedReading {
  tsMs: number;
  value: number | string;
}

/** Readings of one channel with data faults applied; never later than the simulator's clock. */
export function serveReadings(
  ctx: SimContext,
  device: string,
  channel: string,
  faults: readonly ActiveFault[],
  q: { startMs: number; endMs: number; order: 'asc' | 'desc'; limit: number; skip?: number },
): ServedReading[] {
  if (simulatedValue(device, channel, 0) === undefined) return [];
  const interval = wellProfile(device).intervalMs;
  const times = readingTimes({
    deviceId: device,
    startMs: q.startMs,
    endMs: Math.min(q.endMs, ctx.now()),
    order: q.order,
    limit: q.limit,
    skip: q.skip,
    gaps: gapWindows(faults, channel),
  });
  return times.map((tsMs) => ({
    tsMs,
    value: applyValueFaults(faults, channel, tsMs, Math.round(tsMs / interval), simulatedValue(device, channel, tsMs) ?? 0),
  }));
}

/**
 * Answers the request if a request fault applies (500, 429, or a hang then 504). Returns true when
 * the request was handled here.
 */
export async function applyRequestFault(
  ctx: SimContext,
  target: RequestTarget,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  const fault = ctx.faults.takeRequestFault(target);
  if (!fault) return false;
  switch (fault.type) {
    case 'http_500':
      await reply.code(500).send({ status: 500, message: 'Internal server error (simulated)' });
      return true;
    case 'http_429':
      await reply
        .code(429)
        .header('retry-after', String(fault.retryAfterSeconds ?? 1))
        .send({ status: 429, message: 'Too many requests (simulated)' });
      return true;
    default: {
      await hang(ctx, reply, fault.hangMs ?? 30_000);
      if (request.raw.socket.destroyed) reply.hijack();
      else await reply.code(504).send({ status: 504, message: 'Gateway timeout (simulated)' });
      return true;
    }
  }
}

function hang(ctx: SimContext, reply: FastifyReply, ms: number): Promise<void> {
  const controller = new AbortController();
  ctx.hangs.add(controller);
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      ctx.hangs.delete(controller);
      resolve();
    };
    const timer = setTimeout(done, ms);
    controller.signal.addEventListener('abort', done);
    // The response closes early only when the client goes away.
    reply.raw.once('close', done);
  });
}

export function parseIntParam(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return undefined;
  return Number(value);
}
