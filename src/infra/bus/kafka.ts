import {
  Admin,
  Consumer,
  ListOffsetTimestamps,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Message,
  type MessagesStream,
  type MessageToProduce,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { Bus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from './bus.js';
import { Wakeup, pauseUnlessStopped, retryDelay } from './memory.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Partitions of the topics this bus creates when it publishes to or subscribes to a missing one. */
  partitions?: number;
  /** First pause before a failed batch is fetched again; doubles per consecutive failure, up to 30 s. */
  retryDelayMs?: number;
}

type Record_ = MessageToProduce<string, string, string, string>;
type StringConsumer = Consumer<string, string, string, string>;
type StringStream = MessagesStream<string, string, string, string>;

/** lz4: fast to compress on the producer's CPU, and available on Node 20 (zstd needs Node ≥ 22.15). */
export const KAFKA_COMPRESSION = 'lz4' as const;
const DEFAULT_MAX_BATCH = 5000;
/** One produce call carries at most this much; the broker's default message.max.bytes is 1 MiB per batch. */
const MAX_SEND_MESSAGES = 10_000;
const MAX_SEND_BYTES = 4 * 1024 * 1024;
const HEALTH_TIMEOUT_MS = 2000;

interface PendingSend {
  records: Record_[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Kafka through @platformatic/kafka. Publishing is idempotent (acks=all) and serialised through one queue, because
 * the client numbers idempotent batches only when a send completes: concurrent publish calls are coalesced into the
 * next produce request instead of racing. Each subscription is one consumer-group member with manual commits.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly brokers: string[];
  private readonly clientId: string;
  private readonly logger: Logger | undefined;
  private readonly partitions: number;
  private readonly retryDelayMs: number;
  private readonly admin: Admin;
  private producer: Producer<string, string, string, string>;
  private readonly queue: PendingSend[] = [];
  private sending: Promise<void> | undefined;
  private draining = false;
  private readonly ensuring = new Map<string, Promise<void>>();
  private readonly knownTopics = new Set<string>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private closed = false;

  constructor(opts: KafkaBusOptions) {
    if (opts.brokers.length === 0) throw new Error('KafkaBus needs at least one broker (host:port)');
    this.brokers = opts.brokers;
    this.clientId = opts.clientId;
    this.logger = opts.logger;
    this.partitions = opts.partitions ?? 6;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.admin = new Admin({ clientId: `${opts.clientId}-admin`, bootstrapBrokers: this.brokers });
    this.producer = this.createProducer();
  }

  /** Creates the topics that do not exist yet, with `partitions` partitions, and waits until each has a leader. */
  async ensureTopics(topics: string[], partitions = this.partitions): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await this.admin.createTopics({ topics: missing, partitions });
        this.logger?.info({ topics: missing, partitions }, 'created Kafka topics');
      } catch (err) {
        // Another process may have created them in between; anything else is a real failure.
        if (!hasApiError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
      }
    }
    await this.waitForLeaders(topics);
    for (const t of topics) this.knownTopics.add(t);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    if (messages.length === 0) return;
    if (!this.knownTopics.has(topic)) await this.ensureKnown([topic]);
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

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    await this.ensureKnown(opts.topics);
    const sub = new KafkaSubscription({
      brokers: this.brokers,
      clientId: this.clientId,
      group: opts.group,
      topics: [...opts.topics],
      handler: opts.handler,
      maxBatch: Math.max(1, opts.maxBatch ?? DEFAULT_MAX_BATCH),
      maxBatchChars: opts.maxBatchChars ?? Infinity,
      retryDelayMs: this.retryDelayMs,
      logger: this.logger,
    });
    await sub.start();
    this.subscriptions.add(sub);
    return {
      stop: async () => {
        await sub.stop();
        this.subscriptions.delete(sub);
      },
    };
  }

  async lag(group: string, topics: string[]): Promise<number> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length === 0) return 0;
    const metadata = await this.admin.metadata({ topics: present });
    const partitionsOf = (t: string) =>
      Array.from({ length: metadata.topics.get(t)?.partitionsCount ?? 0 }, (_, i) => i);

    const [groupOffsets] = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId: group, topics: present.map((name) => ({ name, partitionIndexes: partitionsOf(name) })) }],
    });
    const committed = new Map<string, bigint>();
    for (const t of groupOffsets?.topics ?? []) {
      for (const p of t.partitions) committed.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
    }
    const ends = await this.listOffsets(present, partitionsOf, ListOffsetTimestamps.LATEST);
    const starts = await this.listOffsets(present, partitionsOf, ListOffsetTimestamps.EARLIEST);
    let lag = 0n;
    for (const [tp, end] of ends) {
      const start = starts.get(tp) ?? 0n;
      const from = committed.get(tp) ?? -1n;
      // A group without a commit on a partition starts at its earliest retained offset (fallback "earliest").
      lag += end - (from >= start ? from : start);
    }
    return Number(lag);
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      const metadata = await withTimeout(
        this.admin.metadata({ topics: [], forceUpdate: true }),
        HEALTH_TIMEOUT_MS,
        `no metadata from ${this.brokers.join(',')} within ${HEALTH_TIMEOUT_MS} ms`,
      );
      return { ok: true, detail: `${metadata.brokers.size} broker(s), cluster ${metadata.id}` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await this.sending;
    await Promise.allSettled([this.producer.close(), this.admin.close()]);
  }

  private createProducer(): Producer<string, string, string, string> {
    return new Producer({
      clientId: this.clientId,
      bootstrapBrokers: this.brokers,
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
        this.logger?.warn({ err, messages: count }, 'Kafka publish failed; restarting the producer');
        const old = this.producer;
        this.producer = this.createProducer();
        await forceClose(old);
      }
    }
  }

  /** ensureTopics once per topic and process, sharing the call when several publishers hit a new topic at once. */
  private async ensureKnown(topics: string[]): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const topic of topics) {
      if (this.knownTopics.has(topic)) continue;
      let ensured = this.ensuring.get(topic);
      if (!ensured) {
        ensured = this.ensureTopics([topic]).finally(() => this.ensuring.delete(topic));
        this.ensuring.set(topic, ensured);
      }
      pending.push(ensured);
    }
    await Promise.all(pending);
  }

  private async listOffsets(
    topics: string[],
    partitionsOf: (t: string) => number[],
    timestamp: bigint,
  ): Promise<Map<string, bigint>> {
    const listed = await this.admin.listOffsets({
      topics: topics.map((name) => ({
        name,
        partitions: partitionsOf(name).map((partitionIndex) => ({ partitionIndex, timestamp })),
      })),
    });
    const out = new Map<string, bigint>();
    for (const t of listed) for (const p of t.partitions) out.set(`${t.name}:${p.partitionIndex}`, p.offset);
    return out;
  }

  private async waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const metadata = await this.admin.metadata({ topics, forceUpdate: true });
        const ready = topics.every((t) => {
          const parts = metadata.topics.get(t)?.partitions ?? [];
          return parts.length > 0 && parts.every((p) => p.leader >= 0);
        });
        if (ready) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`Kafka topics without a leader after 15 s: ${topics.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

class HandlerFailed extends Error {}

interface SubscriptionOptions {
  brokers: string[];
  clientId: string;
  group: string;
  topics: string[];
  handler: (batch: IncomingMessage[]) => Promise<void>;
  maxBatch: number;
  maxBatchChars: number;
  retryDelayMs: number;
  logger: Logger | undefined;
}

/**
 * One consumer-group member. Batches are what the fetcher has buffered (up to maxBatch); offsets are committed after
 * the handler resolves. A failed batch is never committed: the message stream is closed and reopened at the
 * committed offsets, so the same messages come again in order (the group membership is kept meanwhile).
 */
class KafkaSubscription {
  private consumer: StringConsumer | undefined;
  private readonly wakeup = new Wakeup();
  private stopping = false;
  private done: Promise<void> | undefined;
  private streamFailure: Error | undefined;
  /** Next offset per `topic:partition` already handed to the handler on the current stream (drops refetches). */
  private delivered = new Map<string, bigint>();

  constructor(private readonly opts: SubscriptionOptions) {}

  async start(): Promise<void> {
    let stream: StringStream;
    try {
      stream = await this.openStream();
    } catch (err) {
      await this.dropConsumer();
      throw err;
    }
    this.done = this.run(stream);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    await this.done;
  }

  private async run(first: StringStream): Promise<void> {
    let stream: StringStream | undefined = first;
    let failures = 0;
    while (!this.stopping) {
      let failed: unknown;
      try {
        stream ??= await this.openStream();
        await this.pump(stream, () => (failures = 0));
      } catch (err) {
        failed = err;
      }
      if (stream) await this.closeStream(stream);
      stream = undefined;
      if (failed === undefined || this.stopping) continue;
      failures++;
      const pause = retryDelay(this.opts.retryDelayMs, failures);
      const { group, topics } = this.opts;
      if (failed instanceof HandlerFailed) {
        this.opts.logger?.warn(
          { err: failed.cause, group, topics, failures, retryInMs: pause },
          'bus handler failed; the batch will be fetched again from the committed offsets',
        );
      } else {
        this.opts.logger?.warn({ err: failed, group, topics, failures, retryInMs: pause }, 'Kafka consumer failed; reconnecting');
        await this.dropConsumer();
      }
      await pauseUnlessStopped(pause, this.wakeup, () => this.stopping);
    }
    await this.dropConsumer();
  }

  private async openStream(): Promise<StringStream> {
    if (!this.consumer) {
      this.consumer = new Consumer({
        clientId: `${this.opts.clientId}-${this.opts.group}`,
        bootstrapBrokers: this.opts.brokers,
        groupId: this.opts.group,
        deserializers: stringDeserializers,
        autocommit: false,
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        heartbeatInterval: 1_000,
        maxWaitTime: 500,
      });
      // Keeps the topics subscribed while a stream is closed and reopened, so a redelivery does not rejoin the group.
      this.consumer.topics.trackAll(...this.opts.topics);
    }
    const stream = await this.consumer.consume({
      topics: this.opts.topics,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      maxWaitTime: 500,
      highWaterMark: Math.max(1024, this.opts.maxBatch),
    });
    this.streamFailure = undefined;
    this.delivered = new Map();
    stream.on('readable', () => this.wakeup.notify());
    stream.on('error', (err) => {
      this.streamFailure = err;
      this.wakeup.notify();
    });
    stream.on('close', this.onStreamClosed);
    return stream;
  }

  private readonly onStreamClosed = (): void => {
    this.streamFailure ??= new Error('Kafka message stream closed');
    this.wakeup.notify();
  };

  private async closeStream(stream: StringStream): Promise<void> {
    stream.off('close', this.onStreamClosed);
    await stream.close().catch(() => undefined);
  }

  private async pump(stream: StringStream, onSuccess: () => void): Promise<void> {
    while (!this.stopping) {
      if (this.streamFailure) throw this.streamFailure;
      const batch = this.drain(stream);
      if (batch.length === 0) {
        await this.wakeup.wait();
        continue;
      }
      const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
      for (const m of batch) next.set(`${m.topic}:${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1n });
      for (const [tp, n] of next) this.delivered.set(tp, n.offset);
      try {
        await this.opts.handler(batch);
      } catch (err) {
        throw new HandlerFailed('handler failed', { cause: err });
      }
      await this.consumer!.commit({ offsets: [...next.values()].map((n) => ({ ...n, leaderEpoch: -1 })) });
      onSuccess();
    }
  }

  private drain(stream: StringStream): IncomingMessage[] {
    const batch: IncomingMessage[] = [];
    let chars = 0;
    while (batch.length < this.opts.maxBatch && chars < this.opts.maxBatchChars) {
      const m = stream.read() as Message<string, string, string, string> | null;
      if (m === null) break;
      const seen = this.delivered.get(`${m.topic}:${m.partition}`);
      if (seen !== undefined && m.offset < seen) continue;
      const msg: IncomingMessage = { key: m.key ?? '', value: m.value ?? '', topic: m.topic, partition: m.partition, offset: m.offset };
      if (m.headers.size > 0) msg.headers = Object.fromEntries(m.headers);
      batch.push(msg);
      chars += msg.value.length;
    }
    return batch;
  }

  private async dropConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    try {
      await consumer.close();
    } catch (err) {
      this.opts.logger?.debug({ err, group: this.opts.group }, 'Kafka consumer did not leave the group cleanly');
      await forceClose(consumer);
    }
  }
}

/** Closes without waiting for in-flight requests; errors are ignored (the client is being thrown away). */
function forceClose(client: { close(force: boolean, callback: (err?: Error | null) => void): void }): Promise<void> {
  return new Promise((resolve) => client.close(true, () => resolve()));
}

function hasApiError(err: unknown, id: string): boolean {
  const found = (err as { findBy?: (k: string, v: unknown) => unknown } | null)?.findBy?.('apiId', id);
  return Boolean(found);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
