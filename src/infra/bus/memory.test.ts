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

/** What the in-process bus does beyond the bus contract (test/contracts/bus.contract.ts). */
describe('MemoryBus', () => {
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

  it('puts a key in the partition its FNV-1a hash names, offsets increasing per partition', async () => {
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

  it('delivers exactly the same batch again after the handler throws, and skips nothing', async () => {
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

  it('never gives one partition to two members of a group', async () => {
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
