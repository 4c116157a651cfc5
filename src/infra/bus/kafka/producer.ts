import { ProduceAcks, Producer, stringSerializers, type MessageToProduce } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { OutgoingMessage } from '../bus.js';
import { forceClose } from './clients.js';

/** lz4: fast to compress on the producer's CPU, and available on Node 20 (zstd needs Node ≥ 22.15). */
export const KAFKA_COMPRESSION = 'lz4' as const;
/** One produce call carries at most this much; the broker's default message.max.bytes is 1 MiB per batch. */
const MAX_SEND_MESSAGES = 10_000;
const MAX_SEND_BYTES = 4 * 1024 * 1024;

type Record_ = MessageToProduce<string, string, string, string>;

interface PendingSend {
  records: Record_[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Idempotent publishing (acks=all) serialised through one queue, because the client numbers idempotent batches
 * only when a send completes: concurrent publish calls are coalesced into the next produce request instead of
 * racing.
 */
export class KafkaPublisher {
  private producer: Producer<string, string, string, string>;
  private readonly queue: PendingSend[] = [];
  private sending: Promise<void> | undefined;
  private draining = false;

  constructor(private readonly opts: { brokers: string[]; clientId: string; logger: Logger | undefined }) {
    this.producer = this.createProducer();
  }

  /** Resolves when the broker acknowledged every message; large calls go out as several produce requests. */
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const sends: Promise<void>[] = [];
    let records: Record_[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = m.key.length + m.value.length + 64;
      if (records.length >= MAX_SEND_MESSAGES || (records.length > 0 && bytes + size > MAX_SEND_BYTES)) {
        sends.push(this.enqueue(records, bytes));
        records = [];
        bytes = 0;
      }
      records.push({ topic, key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) });
      bytes += size;
    }
    sends.push(this.enqueue(records, bytes));
    await Promise.all(sends);
  }

  /** Waits for the send in flight, then closes the producer. */
  async close(): Promise<void> {
    await this.sending;
    await this.producer.close();
  }

  private createProducer(): Producer<string, string, string, string> {
    return new Producer({
      clientId: this.opts.clientId,
      bootstrapBrokers: this.opts.brokers,
      serializers: stringSerializers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: KAFKA_COMPRESSION,
      retries: 10,
      retryDelay: 500,
    });
  }

  private enqueue(records: Record_[], bytes: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, bytes, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.sending = this.drainQueue();
      }
    });
  }

  /** Sends queued records one produce call at a time, coalescing whatever queued up during the previous call. */
  private async drainQueue(): Promise<void> {
    try {
      await this.sendQueued();
    } finally {
      // Same synchronous step as the empty-queue check, so a publish arriving now starts a new drain.
      this.draining = false;
    }
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const take: PendingSend[] = [];
      let count = 0;
      let bytes = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0]!;
        if (take.length > 0 && (count + next.records.length > MAX_SEND_MESSAGES || bytes + next.bytes > MAX_SEND_BYTES)) break;
        take.push(this.queue.shift()!);
        count += next.records.length;
        bytes += next.bytes;
      }
      try {
        await this.producer.send({ messages: take.length === 1 ? take[0]!.records : take.flatMap((p) => p.records) });
        for (const p of take) p.resolve();
      } catch (err) {
        for (const p of take) p.reject(err);
        // After a failed idempotent send the sequence numbers are in doubt; a new producer id starts clean.
        this.opts.logger?.warn({ err, messages: count }, 'Kafka publish failed; restarting the producer');
        const old = this.producer;
        this.producer = this.createProducer();
        await forceClose(old);
      }
    }
  }
}
