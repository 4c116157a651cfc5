import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, IncomingMessage, OutgoingMessage, Subscription } from '../../src/infra/bus/bus.js';

/** How the contract reaches one Bus implementation. */
export interface BusHarness {
  /** A new bus whose failed batches come again after a short pause; the suite closes it. */
  create(): Promise<Bus>;
  /** A topic or group name no other test (or earlier run, on a shared broker) has used. */
  name(what: string): string;
  /** How long a delivery may take to show up. */
  timeoutMs: number;
}

export function sequence(keys: number, perKey: number, prefix = ''): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (let i = 0; i < perKey; i++) {
    for (let k = 0; k < keys; k++) out.push({ key: `point-${k}`, value: `${prefix}${k}:${i}` });
  }
  return out;
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const messageId = (m: IncomingMessage) => `${m.topic}:${m.partition}:${m.offset}`;

/**
 * The delivery rules every bus keeps (at-least-once, ordered per key, committed offsets per consumer group,
 * partitions shared by a group's members), run against each implementation.
 */
export function describeBusContract(label: string, harness: BusHarness): void {
  describe(`Bus contract: ${label}`, () => {
    let bus: Bus;
    const subs: Subscription[] = [];
    const wait = (check: () => boolean | Promise<boolean>, what: string) => until(check, what, harness.timeoutMs);

    beforeEach(async () => {
      bus = await harness.create();
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.stop()));
      await bus.close();
    });

    it('answers health while open', async () => {
      expect(await bus.health()).toMatchObject({ ok: true });
    });

    it("counts a group's members: none before, one per subscription, none after they stopped", async () => {
      const topic = harness.name('members');
      const group = harness.name('members-g');
      await bus.ensureTopics([topic], 2);
      expect(await bus.members(group)).toBe(0);
      const handler = async () => undefined;
      const a = await bus.subscribe({ group, topics: [topic], handler });
      const b = await bus.subscribe({ group, topics: [topic], handler });
      await wait(async () => (await bus.members(group)) === 2, 'two members');
      await a.stop();
      await b.stop();
      await wait(async () => (await bus.members(group)) === 0, 'no member after both stopped');
    });

    it('creates topics with the partitions asked for, and leaves an existing topic as it is', async () => {
      const topic = harness.name('ensure');
      await bus.ensureTopics([topic], 3);
      await bus.ensureTopics([topic], 6);
      const got: IncomingMessage[] = [];
      subs.push(await bus.subscribe({ group: harness.name('ensure-g'), topics: [topic], handler: async (b) => void got.push(...b) }));
      await bus.publish(topic, sequence(60, 1));
      await wait(() => got.length >= 60, 'all messages');
      const partitions = new Set(got.map((m) => m.partition));
      expect([...partitions].every((p) => p >= 0 && p < 3)).toBe(true);
      expect(partitions.size).toBeGreaterThan(1);
    });

    it('delivers every message in order per key, each key in one partition, with headers, in batches ≤ maxBatch', async () => {
      const topic = harness.name('roundtrip');
      const group = harness.name('roundtrip-g');
      await bus.ensureTopics([topic], 4);
      const sent = sequence(20, 25);
      await bus.publish(topic, [{ key: 'point-0', value: 'with-headers', headers: { source: 'twin', 'trace-id': 'abc' } }]);
      await bus.publish(topic, sent);

      const got: IncomingMessage[] = [];
      const batchSizes: number[] = [];
      subs.push(
        await bus.subscribe({
          group,
          topics: [topic],
          maxBatch: 100,
          handler: async (batch) => {
            batchSizes.push(batch.length);
            got.push(...batch);
          },
        }),
      );
      await wait(() => got.length >= sent.length + 1, 'all messages');
      await wait(async () => (await bus.lag(group, [topic])) === 0, 'lag 0');

      expect(new Set(got.map(messageId)).size).toBe(got.length);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(100);
      const withHeaders = got.filter((m) => m.value === 'with-headers');
      expect(withHeaders).toEqual([expect.objectContaining({ key: 'point-0', topic, headers: { source: 'twin', 'trace-id': 'abc' } })]);
      expect(got.filter((m) => m.headers !== undefined)).toHaveLength(1);
      const byKey = new Map<string, string[]>();
      for (const m of got) if (m !== withHeaders[0]) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.value]);
      expect(byKey.size).toBe(20);
      for (const [key, values] of byKey) {
        const k = key.slice('point-'.length);
        expect(values).toEqual(Array.from({ length: 25 }, (_, i) => `${k}:${i}`));
        expect(new Set(got.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
      }
      const byPartition = new Map<number, bigint[]>();
      for (const m of got) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.offset]);
      for (const offsets of byPartition.values()) expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
    });

    it('stops a batch once its values reach maxBatchChars, and still delivers a message larger than that', async () => {
      const topic = harness.name('chars');
      await bus.ensureTopics([topic], 1);
      const value = 'v'.repeat(100);
      await bus.publish(topic, [{ key: 'k', value: 'x'.repeat(1500) }, ...Array.from({ length: 60 }, () => ({ key: 'k', value }))]);
      const batches: number[][] = [];
      subs.push(
        await bus.subscribe({
          group: harness.name('chars-g'),
          topics: [topic],
          maxBatchChars: 1000,
          handler: async (b) => void batches.push(b.map((m) => m.value.length)),
        }),
      );
      await wait(() => batches.flat().length >= 61, 'all messages');
      expect(batches.flat()).toHaveLength(61);
      expect(batches[0]![0]).toBe(1500);
      for (const b of batches) expect(b.length === 1 || b.slice(0, -1).reduce((n, c) => n + c, 0) < 1000).toBe(true);
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(10);
    });

    it('delivers a batch again after the handler throws, from where it started, and loses nothing', async () => {
      const topic = harness.name('redeliver');
      const group = harness.name('redeliver-g');
      await bus.ensureTopics([topic], 3);
      const sent = sequence(12, 50);
      await bus.publish(topic, sent);

      let failed: IncomingMessage[] | undefined;
      const handled: IncomingMessage[] = [];
      subs.push(
        await bus.subscribe({
          group,
          topics: [topic],
          maxBatch: 300,
          handler: async (batch) => {
            if (!failed) {
              failed = batch;
              throw new Error('database unavailable');
            }
            handled.push(...batch);
          },
        }),
      );
      await wait(() => handled.length >= sent.length, 'every message handled after the failure');
      await wait(async () => (await bus.lag(group, [topic])) === 0, 'lag 0');

      expect(failed!.length).toBeGreaterThan(0);
      expect(failed!.length).toBeLessThanOrEqual(300);
      const handledIds = new Set(handled.map(messageId));
      for (const m of failed!) expect(handledIds.has(messageId(m))).toBe(true);
      expect(handledIds.size).toBe(sent.length);
      expect(handled).toHaveLength(sent.length);
      const firstOf = (ms: IncomingMessage[], p: number) => ms.find((m) => m.partition === p)?.offset;
      for (const p of new Set(failed!.map((m) => m.partition))) expect(firstOf(handled, p)).toBe(firstOf(failed!, p));
    });

    it('shares partitions among the members of a group; another group gets every message', async () => {
      const topic = harness.name('shared');
      const group = harness.name('shared-g');
      await bus.ensureTopics([topic], 6);
      const a: IncomingMessage[] = [];
      const b: IncomingMessage[] = [];
      const other: IncomingMessage[] = [];
      subs.push(await bus.subscribe({ group, topics: [topic], handler: async (m) => void a.push(...m) }));
      subs.push(await bus.subscribe({ group, topics: [topic], handler: async (m) => void b.push(...m) }));
      subs.push(await bus.subscribe({ group: harness.name('shared-other'), topics: [topic], handler: async (m) => void other.push(...m) }));
      const sent = sequence(60, 5);
      await bus.publish(topic, sent);

      await wait(() => new Set([...a, ...b].map(messageId)).size === sent.length && other.length >= sent.length, 'both groups');
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect(new Set(other.map(messageId)).size).toBe(sent.length);
    });

    it('hands the partitions of a stopped member to the one left, continuing from its commits', async () => {
      const topic = harness.name('handover');
      const group = harness.name('handover-g');
      await bus.ensureTopics([topic], 4);
      const values: string[] = [];
      const handler = async (b: IncomingMessage[]) => void values.push(...b.map((m) => m.value));
      const first = await bus.subscribe({ group, topics: [topic], handler });
      subs.push(await bus.subscribe({ group, topics: [topic], handler }));
      await bus.publish(topic, sequence(8, 1, 'before-'));
      await wait(() => new Set(values).size === 8, 'first messages');
      await first.stop();
      await bus.publish(topic, sequence(8, 1, 'after-'));
      await wait(() => new Set(values).size === 16, 'messages after the stop');
      expect(new Set(values)).toEqual(new Set([...sequence(8, 1, 'before-'), ...sequence(8, 1, 'after-')].map((m) => m.value)));
    });

    it('resumes a group from its committed offsets after its members stopped: nothing twice, nothing lost', async () => {
      const topic = harness.name('resume');
      const group = harness.name('resume-g');
      await bus.ensureTopics([topic], 3);
      const first = sequence(10, 5);
      await bus.publish(topic, first);
      const seen: IncomingMessage[] = [];
      const handler = async (batch: IncomingMessage[]) => void seen.push(...batch);
      const before = await bus.subscribe({ group, topics: [topic], handler });
      await wait(() => seen.length >= first.length, 'first half');
      await before.stop();
      expect(await bus.lag(group, [topic])).toBe(0);

      const second = sequence(10, 2, 'late-');
      await bus.publish(topic, second);
      expect(await bus.lag(group, [topic])).toBe(second.length);
      subs.push(await bus.subscribe({ group, topics: [topic], handler }));
      await wait(() => seen.length >= first.length + second.length, 'second half');
      await wait(async () => (await bus.lag(group, [topic])) === 0, 'lag 0');
      expect(seen).toHaveLength(first.length + second.length);
      expect(new Set(seen.map(messageId)).size).toBe(seen.length);
      expect(seen.slice(first.length).every((m) => m.value.startsWith('late-'))).toBe(true);
    });

    it('reports lag as the messages a group has not committed, and 0 for a topic that does not exist', async () => {
      const topic = harness.name('lag');
      const group = harness.name('lag-g');
      await bus.ensureTopics([topic], 3);
      await bus.publish(topic, sequence(5, 4));
      expect(await bus.lag(group, [topic])).toBe(20);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered = false;
      subs.push(
        await bus.subscribe({
          group,
          topics: [topic],
          maxBatch: 5,
          handler: async () => {
            entered = true;
            await gate;
          },
        }),
      );
      await wait(() => entered, 'a batch in the handler');
      expect(await bus.lag(group, [topic])).toBe(20);
      release();
      await wait(async () => (await bus.lag(group, [topic])) === 0, 'lag 0');
      expect(await bus.lag(group, [harness.name('no-such-topic')])).toBe(0);
    });

    it('stop() waits for the batch in flight and commits it', async () => {
      const topic = harness.name('stop');
      const group = harness.name('stop-g');
      await bus.ensureTopics([topic], 1);
      let finished = false;
      let started!: () => void;
      const inFlight = new Promise<void>((r) => (started = r));
      const sub = await bus.subscribe({
        group,
        topics: [topic],
        handler: async () => {
          started();
          await new Promise((r) => setTimeout(r, 50));
          finished = true;
        },
      });
      await bus.publish(topic, sequence(1, 1));
      await inFlight;
      await sub.stop();
      expect(finished).toBe(true);
      expect(await bus.lag(group, [topic])).toBe(0);
    });

    it('refuses to publish or subscribe once closed', async () => {
      const topic = harness.name('closed');
      await bus.close();
      await expect(bus.publish(topic, [{ key: 'k', value: 'v' }])).rejects.toThrow('bus is closed');
      await expect(bus.subscribe({ group: harness.name('closed-g'), topics: [topic], handler: async () => {} })).rejects.toThrow('bus is closed');
    });
  });
}
