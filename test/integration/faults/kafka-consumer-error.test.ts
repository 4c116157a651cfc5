import type { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../src/infra/bus/bus.js';
import { KafkaBus } from '../../../src/infra/bus/kafka/index.js';
import { GroupProgress, KafkaSubscription } from '../../../src/infra/bus/kafka/subscription.js';
import { sequence, until } from '../../contracts/bus.contract.js';

/**
 * The Kafka client emits 'error' on its Consumer when it cannot rejoin the group (a TimeoutError during
 * consumer-group churn). The subscription must hear it, drop that member and join again: the process keeps
 * running and every message is handled once committed. The event is emitted here by hand — the one way to
 * reach that branch on demand; the Kafka-stopped fault reaches it for real.
 */
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const run = `${Date.now().toString(36)}-${process.pid}`;
const bus = new KafkaBus({ brokers, clientId: `it-${run}`, retryDelayMs: 200 });

afterAll(() => bus.close());

describe("the Kafka consumer's 'error' event", () => {
  it('is heard: the member rejoins and consumption goes on without loss', async () => {
    const topic = `it.${run}.consumer-error`;
    const group = `it.${run}.consumer-error-g`;
    await bus.ensureTopics([topic], 3);
    const seen = new Set<string>();
    const sub = new KafkaSubscription({
      brokers, clientId: `it-${run}`, group, topics: [topic], maxBatch: 100, maxBatchChars: Infinity, retryDelayMs: 200, logger: undefined, progress: new GroupProgress(),
      handler: async (batch: IncomingMessage[]) => void batch.forEach((m) => seen.add(m.value)),
    });
    await sub.start();
    try {
      const first = sequence(5, 20, 'a');
      await bus.publish(topic, first);
      await until(() => seen.size >= first.length, 'first messages', 60_000);
      const member = (sub as unknown as { consumer: EventEmitter }).consumer;
      member.emit('error', new Error('Request timed out (emitted by the test)'));
      const second = sequence(5, 20, 'b');
      await bus.publish(topic, second);
      await until(() => seen.size >= first.length + second.length, 'messages after the error', 60_000);
      expect((sub as unknown as { consumer: EventEmitter }).consumer).not.toBe(member);
      await until(async () => (await bus.lag(group, [topic])) === 0, 'everything committed', 30_000);
    } finally {
      await sub.stop();
    }
  });
});
