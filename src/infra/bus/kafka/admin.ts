import { Admin, ListOffsetTimestamps } from '@platformatic/kafka';
import type { Logger } from 'pino';

const HEALTH_TIMEOUT_MS = 2000;
const LEADER_WAIT_MS = 15_000;

/** Topics, consumer lag and broker health through one Kafka admin client. */
export class KafkaAdmin {
  private readonly admin: Admin;
  private readonly ensuring = new Map<string, Promise<void>>();
  private readonly knownTopics = new Set<string>();

  constructor(private readonly opts: { brokers: string[]; clientId: string; logger: Logger | undefined; partitions: number }) {
    this.admin = new Admin({ clientId: `${opts.clientId}-admin`, bootstrapBrokers: opts.brokers });
  }

  /** Creates the topics that do not exist yet, with `partitions` partitions, and waits until each has a leader. */
  async ensureTopics(topics: string[], partitions = this.opts.partitions): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      try {
        await this.admin.createTopics({ topics: missing, partitions });
        this.opts.logger?.info({ topics: missing, partitions }, 'created Kafka topics');
      } catch (err) {
        // Another process may have created them in between; anything else is a real failure.
        if (!hasApiError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
      }
    }
    await this.waitForLeaders(topics);
    for (const t of topics) this.knownTopics.add(t);
  }

  /** ensureTopics once per topic and process, sharing the call when several publishers hit a new topic at once. */
  async ensureKnown(topics: string[]): Promise<void> {
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

  /** Whether `topic` is known to exist (checked synchronously on the publish path). */
  isKnown(topic: string): boolean {
    return this.knownTopics.has(topic);
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

  async members(group: string): Promise<number> {
    const groups = await this.admin.describeGroups({ groups: [group] });
    return groups.get(group)?.members.size ?? 0;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      const metadata = await withTimeout(
        this.admin.metadata({ topics: [], forceUpdate: true }),
        HEALTH_TIMEOUT_MS,
        `no metadata from ${this.opts.brokers.join(',')} within ${HEALTH_TIMEOUT_MS} ms`,
      );
      return { ok: true, detail: `${metadata.brokers.size} broker(s), cluster ${metadata.id}` };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    await this.admin.close();
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
    const deadline = Date.now() + LEADER_WAIT_MS;
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

function hasApiError(err: unknown, id: string): boolean {
  const found = (err as { findBy?: (k: string, v: unknown) => unknown } | null)?.findBy?.('apiId', id);
  return Boolean(found);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
