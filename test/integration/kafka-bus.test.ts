import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, Subscription } from '../../src/infra/bus/bus.js';
import type { Logger } from 'pino';
import { KafkaBus } from '../../src/infra/bus/kafka/index.js';
import { GroupProgress, isRetryableKafkaError, KafkaSubscription } from '../../src/infra/bus/kafka/subscription.js';
import { describeBusContract, messageId as id, sequence, until as untilWithin } from '../contracts/bus.contract.js';

// Needs a broker: `scripts/kafka.sh start` (see DEVELOPERS.md). Names are unique per run, so reruns never collide.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const run = `${Date.now().toString(36)}-${process.pid}`;
let named = 0;
const name = (what: string) => `it.${run}.${what}.${++named}`;
const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) => untilWithin(check, what, timeoutMs);

beforeAll(async () => {
  const probe = new KafkaBus({ brokers, clientId: `it-${run}-probe` });
  const health = await probe.health();
  await probe.close();
  if (!health.ok) throw new Error(`no Kafka broker at ${brokers.join(',')} (${health.detail}); run scripts/kafka.sh start`);
});

describeBusContract('Kafka', {
  create: async () => new KafkaBus({ brokers, clientId: `it-${run}`, retryDelayMs: 200 }),
  name,
  timeoutMs: 60_000,
});

describe('KafkaBus against a real broker, beyond the bus contract', () => {
  let bus: KafkaBus;
  const subs: Subscription[] = [];

  beforeAll(() => {
    bus = new KafkaBus({ brokers, clientId: `it-${run}`, retryDelayMs: 200 });
  });

  afterAll(async () => {
    await Promise.all(subs.map((s) => s.stop()));
    await bus?.close();
  });

  it('reports an unreachable broker as down, naming why', async () => {
    const unreachable = new KafkaBus({ brokers: ['127.0.0.1:1'], clientId: `it-${run}-down` });
    const down = await unreachable.health();
    await unreachable.close();
    expect(down.ok).toBe(false);
    expect(down.detail).toBeTruthy();
  });

  it('a member that cannot reach the brokers when it starts keeps joining in the background instead of failing its role', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg), debug: () => undefined } as unknown as Logger;
    const sub = new KafkaSubscription({
      brokers: ['127.0.0.1:1'], clientId: `it-${run}-late`, group: name('late-g'), topics: [name('late')],
      handler: async () => undefined, maxBatch: 10, maxBatchChars: 10_000, retryDelayMs: 200, logger, progress: new GroupProgress(),
    });
    await sub.start(); // before: rejected with the join's AggregateError (the processor process exited 1)
    expect(warnings).toContain('cannot join the consumer group now (Kafka unreachable); joining in the background');
    const t0 = performance.now();
    await sub.stop();
    expect(performance.now() - t0).toBeLessThan(10_000);
  }, 60_000);

  it('tells a broker that cannot be reached from other failures', () => {
    const network = Object.assign(new Error('Connection to 127.0.0.1:19092 failed.'), { code: 'PLT_KFK_NETWORK', canRetry: true });
    expect(isRetryableKafkaError(new AggregateError([network, network], 'joinGroup failed 4 times.'))).toBe(true);
    expect(isRetryableKafkaError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryableKafkaError(Object.assign(new Error('SASL authentication failed'), { canRetry: false }))).toBe(false);
    expect(isRetryableKafkaError(new AggregateError([network, new Error('invalid option')], 'x'))).toBe(false);
  });

  it('a partition moved between two members of one process mid-batch is not handled twice, nor by both at once', async () => {
    const topic = name('moved');
    const group = name('moved-g');
    await bus.ensureTopics([topic], 2);
    const messages = sequence(20, 30);
    await bus.publish(topic, messages);

    // The first member's first batch takes 4 s: meanwhile a second member joins, the group rebalances, and the second
    // member is given a partition the first holds in that batch (uncommitted, so fetched again from Kafka's offsets).
    const handled: IncomingMessage[] = [];
    // Batches being handled now, by whom and of which partitions.
    const current: { who: string; partitions: Set<number> }[] = [];
    let overlapped = false;
    let slow = true;
    const handler = (who: string) => async (batch: IncomingMessage[]) => {
      const mine = { who, partitions: new Set(batch.map((m) => m.partition)) };
      overlapped ||= current.some((c) => c.who !== who && [...c.partitions].some((p) => mine.partitions.has(p)));
      current.push(mine);
      try {
        if (slow && who === 'first') {
          slow = false;
          await new Promise((r) => setTimeout(r, 4000));
        }
        handled.push(...batch);
      } finally {
        current.splice(current.indexOf(mine), 1);
      }
    };
    subs.push(await bus.subscribe({ group, topics: [topic], maxBatch: 1000, handler: handler('first') }));
    await until(() => current.length === 1, 'the first batch');
    subs.push(await bus.subscribe({ group, topics: [topic], maxBatch: 1000, handler: handler('second') }));
    await until(() => handled.length >= messages.length, 'every message');
    await until(async () => (await bus.lag(group, [topic])) === 0, 'lag 0');
    await new Promise((r) => setTimeout(r, 1000)); // room for a repeat to show up
    await Promise.all(subs.splice(-2).map((s) => s.stop()));
    expect(handled.length).toBe(messages.length);
    expect(new Set(handled.map(id)).size).toBe(messages.length);
    expect(overlapped).toBe(false);
  });

  it('resumes from committed offsets in another client, as after a process restart: nothing twice, nothing lost', async () => {
    const topic = name('restart');
    const group = name('restart-g');
    await bus.ensureTopics([topic], 6);
    const first = sequence(20, 25);
    await bus.publish(topic, first);

    const seen: IncomingMessage[] = [];
    const handler = async (batch: IncomingMessage[]) => void seen.push(...batch);
    const before = await bus.subscribe({ group, topics: [topic], maxBatch: 100, handler });
    await until(() => seen.length >= first.length, 'first half');
    await before.stop();
    expect(await bus.lag(group, [topic])).toBe(0);

    const second = sequence(20, 10).map((m) => ({ ...m, value: `late-${m.value}` }));
    await bus.publish(topic, second);
    expect(await bus.lag(group, [topic])).toBe(second.length);

    // A second client, as after a process restart.
    const restarted = new KafkaBus({ brokers, clientId: `it-${run}-restarted` });
    try {
      subs.push(await restarted.subscribe({ group, topics: [topic], handler }));
      await until(() => seen.length >= first.length + second.length, 'second half');
      await until(async () => (await restarted.lag(group, [topic])) === 0, 'lag 0');
      await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up
      await subs.pop()!.stop();
    } finally {
      await restarted.close();
    }
    expect(seen.length).toBe(first.length + second.length);
    expect(new Set(seen.map(id)).size).toBe(seen.length);
    expect(seen.slice(first.length).every((m) => m.value.startsWith('late-'))).toBe(true);
  });

  it('measures publish and consume throughput (printed, not asserted)', async () => {
    const topic = name('throughput');
    await bus.ensureTopics([topic], 6);
    const value = JSON.stringify({
      pointId: 'c0a8f3e2-1111-4a4a-9999-0123456789ab',
      variable: 'flow',
      ts: '2025-06-01T12:34:00.000Z',
      value: 123.456,
      provider: 'twin',
    });
    const perCall = 5000;
    const calls = 30;
    const batch = (i: number) => Array.from({ length: perCall }, (_, j) => ({ key: `point-${(i * perCall + j) % 2000}`, value }));

    let t0 = performance.now();
    for (let i = 0; i < calls; i++) await bus.publish(topic, batch(i));
    const sequential = (perCall * calls) / ((performance.now() - t0) / 1000);

    t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = w; i < calls; i += 4) await bus.publish(topic, batch(i));
      }),
    );
    const concurrent = (perCall * calls) / ((performance.now() - t0) / 1000);

    const total = 2 * perCall * calls;
    let consumed = 0;
    let firstBatchAt = 0;
    subs.push(
      await bus.subscribe({
        group: name('throughput-g'),
        topics: [topic],
        handler: async (m) => {
          firstBatchAt ||= performance.now();
          consumed += m.length;
        },
      }),
    );
    await until(() => consumed >= total, 'throughput consumption', 110_000);
    const consume = total / ((performance.now() - firstBatchAt) / 1000);

    console.log(
      `KafkaBus throughput (${perCall}-message publish calls, lz4, acks=all): ` +
        `publish sequential ${Math.round(sequential)} msg/s, publish 4 concurrent ${Math.round(concurrent)} msg/s, ` +
        `consume ${Math.round(consume)} msg/s`,
    );
    expect(consumed).toBe(total);
  });
});
