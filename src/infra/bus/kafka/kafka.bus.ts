import type { Logger } from 'pino';
import type { Bus, OutgoingMessage, SubscribeOptions, Subscription } from '../bus.js';
import { KafkaAdmin } from './admin.js';
import { KafkaPublisher } from './producer.js';
import { GroupProgress, KafkaSubscription } from './subscription.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Partitions of the topics this bus creates when it publishes to or subscribes to a missing one. */
  partitions?: number;
  /** First pause before a failed batch is fetched again; doubles per consecutive failure, up to 30 s. */
  retryDelayMs?: number;
}

const DEFAULT_MAX_BATCH = 5000;

/**
 * Kafka through @platformatic/kafka: one idempotent publisher, one admin client for topics, lag and health,
 * and one consumer-group member with manual commits per subscription.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly retryDelayMs: number;
  private readonly admin: KafkaAdmin;
  private readonly publisher: KafkaPublisher;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly progress = new Map<string, GroupProgress>();
  private closed = false;

  constructor(private readonly opts: KafkaBusOptions) {
    if (opts.brokers.length === 0) throw new Error('KafkaBus needs at least one broker (host:port)');
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    const clients = { brokers: opts.brokers, clientId: opts.clientId, logger: opts.logger };
    this.admin = new KafkaAdmin({ ...clients, partitions: opts.partitions ?? 6 });
    this.publisher = new KafkaPublisher(clients);
  }

  ensureTopics(topics: string[], partitions?: number): Promise<void> {
    return this.admin.ensureTopics(topics, partitions);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    if (messages.length === 0) return;
    if (!this.admin.isKnown(topic)) await this.admin.ensureKnown([topic]);
    await this.publisher.publish(topic, messages);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    await this.admin.ensureKnown(opts.topics);
    const sub = new KafkaSubscription({
      brokers: this.opts.brokers,
      clientId: this.opts.clientId,
      group: opts.group,
      topics: [...opts.topics],
      handler: opts.handler,
      maxBatch: Math.max(1, opts.maxBatch ?? DEFAULT_MAX_BATCH),
      maxBatchChars: opts.maxBatchChars ?? Infinity,
      retryDelayMs: this.retryDelayMs,
      logger: this.opts.logger,
      progress: this.progressOf(opts.group),
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

  private progressOf(group: string): GroupProgress {
    let progress = this.progress.get(group);
    if (!progress) this.progress.set(group, (progress = new GroupProgress()));
    return progress;
  }

  lag(group: string, topics: string[]): Promise<number> {
    return this.admin.lag(group, topics);
  }

  members(group: string): Promise<number> {
    return this.admin.members(group);
  }

  health(): Promise<{ ok: boolean; detail?: string }> {
    return this.admin.health();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await Promise.allSettled([this.publisher.close(), this.admin.close()]);
  }
}
