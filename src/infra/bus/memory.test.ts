import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, OutgoingMessage } from './bus.js';
import { MemoryBus, partitionFor } from './memory.js';

const TOPIC = 'telemetry.raw.v1';

function messages(keys: number, perKey: number): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (let i = 0; i < perKey; i++) {
    for (let k = 0; k < keys; k++) out.push({ key: `point-${k}`, value: String(i) });
  }
  return out;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let bus: MemoryBus;
afterEach(async () => {
  await bus?.close();
});

describe('MemoryBus', () => {
  it('delivers every message once, in order per key, in batches no larger than maxBatch', async () => {
    bus = new MemoryBus({ partitions: 4 });
    const seen = new Map<string, number[]>();
    const batchSizes: number[] = [];
    await bus.subscribe({
      group: 'processor',
      topics: [TOPIC],
      maxBatch: 100,
      handler: async (batch) => {
        batchSizes.push(batch.length);
        for (const m of batch) seen.set(m.key, [...(seen.get(m.key) ?? []), Number(m.value)]);
      },
    });
    await bus.publish(TOPIC, messages(10, 50));

    await until(() => [...seen.values()].reduce((n, v) => n + v.length, 0) === 500);
    for (const values of seen.values()) expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(100);
  });

  it('stops a batch once its values reach maxBatchChars, taking at least one message', async () => {
    bus = new MemoryBus({ partitions: 1 });
    const sizes: number[][] = [];
    await bus.subscribe({
      group: 'chars',
      topics: [TOPIC],
      maxBatch: 100,
      maxBatchChars: 25,
      handler: async (batch) => void sizes.push(batch.map((m) => m.value.length)),
    });
    const big = 'x'.repeat(40);
    await bus.publish(TOPIC, [
      { key: 'a', value: big },
      ...Array.from({ length: 6 }, () => ({ key: 'a', value: '0123456789' })),
    ]);
    await until(() => sizes.flat().length === 7);
    // The 40-character message alone (over the limit, but a batch takes at least one); then 10+10+10 ≥ 25, twice.
    expect(sizes).toEqual([[40], [10, 10, 10], [10, 10, 10]]);
  });

  it('puts a key always in the same partition and keeps offsets increasing per partition', async () => {
    bus = new MemoryBus({ partitions: 6 });
    const got: IncomingMessage[] = [];
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async (b) => void got.push(...b) });
    await bus.publish(TOPIC, messages(20, 5));
    await until(() => got.length === 100);
    for (const m of got) expect(m.partition).toBe(partitionFor(m.key, 6));
    const byPartition = new Map<number, bigint[]>();
    for (const m of got) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.offset]);
    for (const offsets of byPartition.values()) {
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(offsets).size).toBe(offsets.length);
    }
  });

  it('delivers the same batch again after the handler throws, and skips nothing', async () => {
    bus = new MemoryBus({ partitions: 2, retryDelayMs: 10 });
    const attempts: string[][] = [];
    const handled: string[] = [];
    let failuresLeft = 2;
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handler: async (batch) => {
        attempts.push(batch.map((m) => `${m.partition}:${m.offset}`));
        if (failuresLeft-- > 0) throw new Error('database unavailable');
        handled.push(...batch.map((m) => m.value));
      },
    });
    await bus.publish(TOPIC, messages(4, 10));

    await until(() => handled.length === 40);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(handled.sort()).toEqual(messages(4, 10).map((m) => m.value).sort());
    expect(await bus.lag('g', [TOPIC])).toBe(0);
  });

  it('shares partitions among the members of a group and gives every group every message', async () => {
    bus = new MemoryBus({ partitions: 6 });
    const a: IncomingMessage[] = [];
    const b: IncomingMessage[] = [];
    const other: IncomingMessage[] = [];
    await bus.subscribe({ group: 'processor', topics: [TOPIC], handler: async (batch) => void a.push(...batch) });
    await bus.subscribe({ group: 'processor', topics: [TOPIC], handler: async (batch) => void b.push(...batch) });
    await bus.subscribe({ group: 'reporter', topics: [TOPIC], handler: async (batch) => void other.push(...batch) });
    await bus.publish(TOPIC, messages(30, 10));

    await until(() => a.length + b.length === 300 && other.length === 300);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    const partitionsOfA = new Set(a.map((m) => m.partition));
    expect(b.some((m) => partitionsOfA.has(m.partition))).toBe(false);
    const ids = [...a, ...b].map((m) => `${m.partition}:${m.offset}`);
    expect(new Set(ids).size).toBe(300);
  });

  it('hands the partitions of a stopped member to the one left, continuing from its commits', async () => {
    bus = new MemoryBus({ partitions: 4 });
    const values: string[] = [];
    const first = await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async (b) => void values.push(...b.map((m) => m.value)) });
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler: async (b) => void values.push(...b.map((m) => m.value)) });
    await bus.publish(TOPIC, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }]);
    await until(() => values.length === 3);
    await first.stop();
    await bus.publish(TOPIC, [{ key: 'a', value: '4' }, { key: 'b', value: '5' }, { key: 'c', value: '6' }]);
    await until(() => values.length === 6);
    expect(values.sort()).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('reports lag as the messages a group has not committed', async () => {
    bus = new MemoryBus({ partitions: 3 });
    await bus.publish(TOPIC, messages(5, 4));
    expect(await bus.lag('late', [TOPIC])).toBe(20);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await bus.subscribe({ group: 'late', topics: [TOPIC], maxBatch: 5, handler: () => gate });
    expect(await bus.lag('late', [TOPIC])).toBe(20);
    release();
    await until(async () => (await bus.lag('late', [TOPIC])) === 0);
    expect(await bus.lag('late', ['no.such.topic'])).toBe(0);
  });

  it('stop() waits for the batch in flight and commits it', async () => {
    bus = new MemoryBus({ partitions: 1 });
    let finished = false;
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    const sub = await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handler: async () => {
        started();
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
      },
    });
    await bus.publish(TOPIC, messages(1, 3));
    await inFlight;
    await sub.stop();
    expect(finished).toBe(true);
    expect(await bus.lag('g', [TOPIC])).toBe(0);
  });

  it('resumes a group from its committed offsets after all its members stopped', async () => {
    bus = new MemoryBus({ partitions: 2 });
    const seen: string[] = [];
    const handler = async (b: IncomingMessage[]) => void seen.push(...b.map((m) => m.value));
    const sub = await bus.subscribe({ group: 'g', topics: [TOPIC], handler });
    await bus.publish(TOPIC, messages(3, 2));
    await until(() => seen.length === 6);
    await sub.stop();
    await bus.publish(TOPIC, [{ key: 'x', value: 'after' }]);
    await bus.subscribe({ group: 'g', topics: [TOPIC], handler });
    await until(() => seen.length === 7);
    expect(seen.at(-1)).toBe('after');
  });

  it('drops messages once every group has committed them, and caps what a stalled group holds', async () => {
    bus = new MemoryBus({ partitions: 1, maxRetainedPerPartition: 1000 });
    const sub = await bus.subscribe({ group: 'fast', topics: [TOPIC], handler: async () => {} });
    for (let i = 0; i < 10; i++) await bus.publish(TOPIC, messages(1, 1000));
    await until(async () => (await bus.lag('fast', [TOPIC])) === 0);
    const retained = () => (bus as unknown as { topics: Map<string, { end: number; start: number }[]> }).topics.get(TOPIC)![0]!;
    expect(retained().end - retained().start).toBe(0);

    await sub.stop();
    await bus.publish(TOPIC, messages(1, 5000));
    expect(retained().end - retained().start).toBe(1000);
    expect(await bus.lag('fast', [TOPIC])).toBe(1000);
  });
});
