import type { Logger } from 'pino';
import type { Bus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from './bus.js';
import { Wakeup, pauseUnlessStopped, retryDelay } from './consumer-loop.js';

export interface MemoryBusOptions {
  /** Partitions of a topic created on first use (Kafka's num.partitions). */
  partitions?: number;
  /** First pause before a failed batch is delivered again; doubles per consecutive failure, up to 30 s. */
  retryDelayMs?: number;
  /**
   * Hard cap per partition for messages nobody has committed yet (Kafka's retention). Messages every group has
   * committed are dropped anyway; this only bounds memory when a group stops consuming for good.
   */
  maxRetainedPerPartition?: number;
  logger?: Logger;
}

const DEFAULT_MAX_BATCH = 5000;

/** One partition's log. `messages[head]` has offset `start`; the array is compacted as the head advances. */
class PartitionLog {
  messages: IncomingMessage[] = [];
  head = 0;
  start = 0;
  get end(): number {
    return this.start + this.messages.length - this.head;
  }
  at(offset: number): IncomingMessage {
    return this.messages[this.head + offset - this.start]!;
  }
  trimTo(offset: number): void {
    const to = Math.min(offset, this.end);
    if (to <= this.start) return;
    this.head += to - this.start;
    this.start = to;
    if (this.head > 4096 && this.head * 2 > this.messages.length) {
      this.messages = this.messages.slice(this.head);
      this.head = 0;
    }
  }
}

interface Member {
  group: string;
  topics: string[];
  handler: (batch: IncomingMessage[]) => Promise<void>;
  maxBatch: number;
  maxBatchChars: number;
  wakeup: Wakeup;
  cursor: number;
  stopping: boolean;
  done?: Promise<void>;
}

interface Group {
  members: Member[];
  /** Next offset to deliver, per topic and partition; set to the log start when the group first subscribes. */
  committed: Map<string, number[]>;
  /** `topic:partition` currently inside a handler, so a partition is never handled by two members at once. */
  busy: Set<string>;
}

/**
 * In-process bus with Kafka's delivery semantics: partitions by key hash (ordered per key), committed offsets per
 * consumer group, at-least-once (a failed batch comes again), partitions shared by the members of a group.
 * Delivered messages are frozen (they are the retained copies), so handlers must not mutate them.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly partitions: number;
  private readonly retryDelayMs: number;
  private readonly maxRetained: number;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(opts: MemoryBusOptions = {}) {
    this.partitions = opts.partitions ?? 6;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.maxRetained = opts.maxRetainedPerPartition ?? 250_000;
    this.logger = opts.logger;
  }

  /** Creates missing topics with `partitions` partitions; existing topics keep theirs. */
  async ensureTopics(topics: string[], partitions = this.partitions): Promise<void> {
    for (const topic of topics) this.topic(topic, partitions);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    const logs = this.topic(topic);
    for (const m of messages) {
      const partition = partitionFor(m.key, logs.length);
      const log = logs[partition]!;
      const stored: IncomingMessage = { key: m.key, value: m.value, topic, partition, offset: BigInt(log.end) };
      if (m.headers) stored.headers = { ...m.headers };
      log.messages.push(Object.freeze(stored));
      if (log.end - log.start > this.maxRetained) this.enforceCap(topic, partition, log);
    }
    for (const group of this.groups.values()) {
      for (const member of group.members) if (member.topics.includes(topic)) member.wakeup.notify();
    }
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    const group = this.group(opts.group);
    for (const topic of opts.topics) {
      const logs = this.topic(topic);
      const committed = group.committed.get(topic) ?? [];
      logs.forEach((log, p) => (committed[p] ??= log.start));
      group.committed.set(topic, committed);
    }
    const member: Member = {
      group: opts.group,
      topics: [...opts.topics],
      handler: opts.handler,
      maxBatch: Math.max(1, opts.maxBatch ?? DEFAULT_MAX_BATCH),
      maxBatchChars: opts.maxBatchChars ?? Infinity,
      wakeup: new Wakeup(),
      cursor: 0,
      stopping: false,
    };
    group.members.push(member);
    this.wakeGroup(group);
    member.done = this.run(member, group);
    return { stop: () => this.stopMember(member, group) };
  }

  async lag(groupName: string, topics: string[]): Promise<number> {
    const committed = this.groups.get(groupName)?.committed;
    let lag = 0;
    for (const topic of topics) {
      const logs = this.topics.get(topic) ?? [];
      logs.forEach((log, p) => {
        lag += log.end - Math.max(committed?.get(topic)?.[p] ?? log.start, log.start);
      });
    }
    return lag;
  }

  async members(groupName: string): Promise<number> {
    return this.groups.get(groupName)?.members.filter((m) => !m.stopping).length ?? 0;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    return this.closed ? { ok: false, detail: 'closed' } : { ok: true, detail: 'in-process bus' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stops: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      for (const member of [...group.members]) stops.push(this.stopMember(member, group));
    }
    await Promise.all(stops);
  }

  private topic(name: string, partitions = this.partitions): PartitionLog[] {
    let logs = this.topics.get(name);
    if (!logs) {
      logs = Array.from({ length: partitions }, () => new PartitionLog());
      this.topics.set(name, logs);
    }
    return logs;
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      group = { members: [], committed: new Map(), busy: new Set() };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Partitions of `topic` owned by `member`: the group's members subscribed to the topic take turns. */
  private owns(group: Group, member: Member, topic: string, partition: number): boolean {
    const owners = group.members.filter((m) => m.topics.includes(topic));
    return owners[partition % owners.length] === member;
  }

  private async run(member: Member, group: Group): Promise<void> {
    let failures = 0;
    while (!member.stopping) {
      const batch = this.nextBatch(member, group);
      if (batch.length === 0) {
        await member.wakeup.wait();
        continue;
      }
      const taken = lastOffsets(batch);
      for (const key of taken.keys()) group.busy.add(key);
      try {
        await member.handler(batch);
        for (const [key, last] of taken) {
          const [topic, p] = splitKey(key);
          group.committed.get(topic)![p] = last + 1;
          this.trim(topic, p);
        }
        failures = 0;
        member.cursor++;
      } catch (err) {
        failures++;
        const pause = retryDelay(this.retryDelayMs, failures);
        this.logger?.warn(
          { err, group: member.group, messages: batch.length, failures, retryInMs: pause },
          'bus handler failed; the batch will be delivered again',
        );
        for (const key of taken.keys()) group.busy.delete(key);
        this.wakeGroup(group);
        await pauseUnlessStopped(pause, member.wakeup, () => member.stopping);
        continue;
      }
      for (const key of taken.keys()) group.busy.delete(key);
      this.wakeGroup(group);
    }
  }

  private nextBatch(member: Member, group: Group): IncomingMessage[] {
    const owned: [string, number][] = [];
    for (const topic of member.topics) {
      const logs = this.topics.get(topic) ?? [];
      for (let p = 0; p < logs.length; p++) {
        if (this.owns(group, member, topic, p) && !group.busy.has(`${topic}:${p}`)) owned.push([topic, p]);
      }
    }
    const batch: IncomingMessage[] = [];
    // Start at a partition that rotates after each handled batch, so a busy partition cannot starve the others;
    // a failed batch is rebuilt from the same start, so it comes again as it was.
    const first = owned.length ? member.cursor % owned.length : 0;
    let chars = 0;
    for (let i = 0; i < owned.length && batch.length < member.maxBatch && chars < member.maxBatchChars; i++) {
      const [topic, p] = owned[(first + i) % owned.length]!;
      const log = this.topics.get(topic)![p]!;
      const from = Math.max(group.committed.get(topic)![p]!, log.start);
      const to = Math.min(log.end, from + member.maxBatch - batch.length);
      for (let offset = from; offset < to && chars < member.maxBatchChars; offset++) {
        const m = log.at(offset);
        batch.push(m);
        chars += m.value.length;
      }
    }
    return batch;
  }

  /** Drops what every group subscribed to the topic has committed. */
  private trim(topic: string, partition: number): void {
    let min = Infinity;
    for (const group of this.groups.values()) {
      const committed = group.committed.get(topic)?.[partition];
      if (committed !== undefined) min = Math.min(min, committed);
    }
    if (min !== Infinity) this.topics.get(topic)![partition]!.trimTo(min);
  }

  private enforceCap(topic: string, partition: number, log: PartitionLog): void {
    this.trim(topic, partition);
    const excess = log.end - log.start - this.maxRetained;
    if (excess <= 0) return;
    this.logger?.warn(
      { topic, partition, dropped: excess, retained: this.maxRetained },
      'in-process bus retention cap reached: dropping messages a consumer group has not committed yet',
    );
    log.trimTo(log.start + excess);
  }

  private wakeGroup(group: Group): void {
    for (const m of group.members) m.wakeup.notify();
  }

  private async stopMember(member: Member, group: Group): Promise<void> {
    member.stopping = true;
    member.wakeup.notify();
    await member.done;
    const i = group.members.indexOf(member);
    if (i >= 0) {
      group.members.splice(i, 1);
      this.wakeGroup(group);
    }
  }
}

function lastOffsets(batch: IncomingMessage[]): Map<string, number> {
  const last = new Map<string, number>();
  for (const m of batch) last.set(`${m.topic}:${m.partition}`, Number(m.offset));
  return last;
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

/** Stable 32-bit FNV-1a hash of the key, so a key always lands in the same partition. */
export function partitionFor(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
