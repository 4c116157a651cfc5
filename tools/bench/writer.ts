import type { Container } from '../../src/container.js';
import type { IncomingMessage, OutgoingMessage } from '../../src/infra/bus/index.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';
import type { ProcessorProcess } from './role-process.js';

/** A prime stride: consecutive picks land far apart, and (unless the list is a multiple of it long) the cycle visits every point. */
const STRIDE = 7919;

/**
 * Background writes through the real processor while the API is measured: every second, `perSecond`
 * active points get one reading of flow, totalizer and level — the volume of 1-minute collection of
 * every point (10,000 points ≈ 167 points/s). The points of a second are spread over all of them (a
 * fixed stride through the list), so every latest-values shard is invalidated every second: the
 * worst case for the dashboard's cache.
 */
export function startWriter(sink: WriterSink, pointIds: readonly number[], perSecond: number) {
  let stopped = false;
  let next = 0;
  let published = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const now = new Date(started);
      const ts = now.toISOString();
      const messages: OutgoingMessage[] = [];
      for (let i = 0; i < perSecond; i++) {
        const id = pointIds[(next++ * STRIDE) % pointIds.length]!;
        const minutes = started / 60_000;
        const readings = [
          { variable: 'flow', ts, raw: (10 + (id % 7)).toFixed(2) },
          { variable: 'totalizer', ts, raw: ((10 + (id % 7)) * 0.06 * minutes).toFixed(3) },
          { variable: 'level', ts, raw: (30 + (id % 11)).toFixed(2) },
        ];
        messages.push(...encodeRawBatches({ point_id: id, provider: 'bench', collected_at: ts }, readings));
        published += readings.length;
      }
      await sink.write(messages);
      const wait = 1000 - (Date.now() - started);
      if (wait > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    /** Stops writing; resolves with how many measurements were stored, once every published one was. */
    async stop(): Promise<number> {
      stopped = true;
      await loop;
      return sink.stored(published);
    },
  };
}

export interface WriterSink {
  write(messages: OutgoingMessage[]): Promise<void>;
  /** Measurements stored once `published` readings were handed over. */
  stored(published: number): Promise<number>;
}

/** The processor of this process, called directly (embedded: PGlite and the in-process bus share this thread anyway). */
export function inProcessSink(c: Container): WriterSink {
  let offset = 0n;
  let stored = 0;
  return {
    async write(messages) {
      const incoming: IncomingMessage[] = messages.map((m) => ({ ...m, topic: 'bench.writer', partition: 0, offset: offset++ }));
      stored += (await c.processor.handleBatch(incoming)).stored;
    },
    stored: async () => stored,
  };
}

/** A processor process of its own, fed through the bus: the API process only reads and hears invalidations, as deployed. */
export function processSink(proc: ProcessorProcess): WriterSink {
  return {
    write: (messages) => proc.bus.publish(proc.topics.raw, messages),
    async stored(published) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the processor process stored ${proc.stored()} of ${published} readings within 60 s`)), 60_000);
      });
      try {
        await Promise.race([proc.storedAtLeast(published), late]);
      } finally {
        clearTimeout(timer);
      }
      return proc.stored();
    },
  };
}
