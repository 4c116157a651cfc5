import type { Container } from '../../src/container.js';
import type { IncomingMessage } from '../../src/infra/bus/index.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';

/** A prime stride: consecutive picks land far apart, and (unless the list is a multiple of it long) the cycle visits every point. */
const STRIDE = 7919;

/**
 * Background writes through the real processor while the API is measured: every second, `perSecond`
 * active points get one reading of flow, totalizer and level — the volume of 1-minute collection of
 * every point (10,000 points ≈ 167 points/s). The points of a second are spread over all of them (a
 * fixed stride through the list), so every latest-values shard is invalidated every second: the
 * worst case for the dashboard's cache.
 */
export function startWriter(c: Container, pointIds: readonly number[], perSecond: number) {
  let stopped = false;
  let next = 0;
  let offset = 0n;
  let written = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const now = new Date(started);
      const ts = now.toISOString();
      const messages: IncomingMessage[] = [];
      for (let i = 0; i < perSecond; i++) {
        const id = pointIds[(next++ * STRIDE) % pointIds.length]!;
        const minutes = started / 60_000;
        const readings = [
          { variable: 'flow', ts, raw: (10 + (id % 7)).toFixed(2) },
          { variable: 'totalizer', ts, raw: ((10 + (id % 7)) * 0.06 * minutes).toFixed(3) },
          { variable: 'level', ts, raw: (30 + (id % 11)).toFixed(2) },
        ];
        for (const m of encodeRawBatches({ point_id: id, provider: 'bench', collected_at: ts }, readings)) {
          messages.push({ ...m, topic: 'bench.writer', partition: 0, offset: offset++ });
        }
      }
      const r = await c.processor.handleBatch(messages);
      written += r.stored;
      const wait = 1000 - (Date.now() - started);
      if (wait > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await loop;
      return written;
    },
  };
}
