import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializers,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { IncomingMessage } from '../bus.js';
import { Wakeup, pauseUnlessStopped, retryDelay } from '../consumer-loop.js';
import { forceClose } from './clients.js';
import { isTransientNetError } from '../../../lib/wait-until-up.js';

/**
 * What a member holds besides the batch it handles is bounded in bytes, not in messages (a message holds 3 readings or
 * 2,000): one fetch brings at most a fifth of a batch in compressed bytes (`maxBytes` counts bytes on the wire, and
 * the raw topic's JSON compresses about 7× with lz4 — 100,000 messages of 3 readings, 23 MB of values, took 3.4 MB of
 * log — so that is a batch or a little more; a record batch larger than that comes whole, and the producer keeps
 * those under 4 MiB), and the stream fetches again only once fewer than `highWaterMark` messages wait. So a member
 * keeps about one batch ahead of its handler (with half a batch of compressed bytes it kept three: 20–35 MB more peak
 * RSS in a processor of three members, for no faster ingestion).
 */
export function fetchBounds(maxBatchChars: number): { maxBytes: number; highWaterMark: number } {
  return { maxBytes: Math.round(Math.max(MIN_FETCH_BYTES, Math.min(MAX_FETCH_BYTES, maxBatchChars / 5))), highWaterMark: FETCH_AHEAD_MESSAGES };
}
const MIN_FETCH_BYTES = 64 * 1024;
const MAX_FETCH_BYTES = 1024 * 1024;
const FETCH_AHEAD_MESSAGES = 16;

type StringConsumer = Consumer<string, string, string, string>;
type StringStream = MessagesStream<string, string, string, string>;

class HandlerFailed extends Error {}

interface Position {
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * What the members of one consumer group in this process handle, per `topic:partition`: how far they handled (their
 * handler resolved: what it wrote is committed) and which member holds a batch of it now. After a rebalance moves a
 * partition from one member to another, the new owner fetches from the offsets committed to Kafka, which may be behind
 * what its sibling handled or is still handling (it finishes its batch meanwhile, and may hold more of that partition
 * fetched before the move). Within the process, a member waits for the sibling's batch and skips what it handled,
 * instead of handling the same messages again or at the same time. Across processes the handler must still absorb a
 * repeat (at-least-once).
 */
export class GroupProgress {
  private readonly handled = new Map<string, bigint>();
  private readonly inHand = new Map<string, { member: object; until: bigint; done: Promise<void>; end: () => void }>();

  /** Messages of `tp` below this offset were handled by a member of this process. */
  handledUpTo(tp: string): bigint | undefined {
    return this.handled.get(tp);
  }

  /** Resolves when another member's batch that holds `tp` at `offset` ends; undefined when none holds it. */
  busy(tp: string, member: object, offset: bigint): Promise<void> | undefined {
    const held = this.inHand.get(tp);
    return held && held.member !== member && offset < held.until ? held.done : undefined;
  }

  /** `member` handles messages of these partitions, up to each position (exclusive). */
  take(member: object, positions: ReadonlyMap<string, Position>): void {
    for (const [tp, p] of positions) {
      let end = (): void => undefined;
      const done = new Promise<void>((resolve) => (end = resolve));
      this.inHand.set(tp, { member, until: p.offset, done, end });
    }
  }

  /** The batch ended: handled (its positions are reached) or not (a sibling may handle its messages). */
  release(member: object, positions: ReadonlyMap<string, Position>, handled: boolean): void {
    for (const [tp, p] of positions) {
      if (handled) {
        const cur = this.handled.get(tp);
        if (cur === undefined || p.offset > cur) this.handled.set(tp, p.offset);
      }
      const held = this.inHand.get(tp);
      if (held?.member === member) {
        this.inHand.delete(tp);
        held.end();
      }
    }
  }
}

export interface SubscriptionOptions {
  brokers: string[];
  clientId: string;
  group: string;
  topics: string[];
  handler: (batch: IncomingMessage[]) => Promise<void>;
  maxBatch: number;
  maxBatchChars: number;
  retryDelayMs: number;
  logger: Logger | undefined;
  /** What the group's members in this process handle (shared by them). */
  progress: GroupProgress;
}

/**
 * One consumer-group member. Batches are what the fetcher has buffered (up to maxBatch); offsets are committed after
 * the handler resolves. A failed batch is never committed: the message stream is closed and reopened at the
 * committed offsets, so the same messages come again in order (the group membership is kept meanwhile).
 */
export class KafkaSubscription {
  private consumer: StringConsumer | undefined;
  private readonly wakeup = new Wakeup();
  private stopping = false;
  private done: Promise<void> | undefined;
  private streamFailure: Error | undefined;
  /** Next offset per `topic:partition` already handed to the handler on the current stream (drops refetches). */
  private delivered = new Map<string, bigint>();
  /** A message read from the stream that a sibling member holds in its batch: taken first once that batch ends. */
  private held: Message<string, string, string, string> | undefined;

  constructor(private readonly opts: SubscriptionOptions) {}

  /**
   * Joins the group and starts consuming. When the brokers cannot be reached right now (a join that failed on
   * the network or timed out: e.g. the broker went away while a second member of the process was still joining,
   * which used to end the processor), it is said in the log and the member keeps trying in the background, as it
   * does after any later failure; any other error (a bad option, refused credentials) is thrown.
   */
  async start(): Promise<void> {
    let stream: StringStream | undefined;
    try {
      stream = await this.openStream();
    } catch (err) {
      await this.dropConsumer();
      if (!isRetryableKafkaError(err)) throw err;
      const { group, topics } = this.opts;
      this.opts.logger?.warn({ err, group, topics }, 'cannot join the consumer group now (Kafka unreachable); joining in the background');
    }
    this.done = this.run(stream, stream ? 0 : 1);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    await this.done;
  }

  private async run(first: StringStream | undefined, failedBefore: number): Promise<void> {
    let stream: StringStream | undefined = first;
    let failures = failedBefore;
    if (!first) await pauseUnlessStopped(retryDelay(this.opts.retryDelayMs, failures), this.wakeup, () => this.stopping);
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
        // A member that died (SIGKILL) holds its partitions this long; a stopping one leaves the group at once.
        sessionTimeout: 10_000,
        // How long a rebalance waits for every known member to rejoin: a member that went away without leaving (killed
        // mid-join) holds the whole group this long. Members rejoin from the client's heartbeat, not after their batch.
        rebalanceTimeout: 15_000,
        heartbeatInterval: 1_000,
        maxWaitTime: 500,
      });
      // Keeps the topics subscribed while a stream is closed and reopened, so a redelivery does not rejoin the group.
      this.consumer.topics.trackAll(...this.opts.topics);
      const consumer = this.consumer;
      // The client emits 'error' when it could not rejoin the group (e.g. TimeoutError while the group churns or
      // the broker is away); unheard, that event would end the process. This member is then of no use: the loop
      // drops it and joins again with a new one, from the committed offsets.
      // Each (re)join of the group, with what this member was given: rebalances pause consumption, and
      // operators (and the bench, which times the steady pace after the last one) need to see them.
      consumer.on('consumer:group:join', (e: { generationId?: number; assignments?: { topic: string; partitions: number[] }[] | null }) => {
        if (e.generationId === undefined) return;
        const partitions = (e.assignments ?? []).reduce((n, a) => n + a.partitions.length, 0);
        this.opts.logger?.info({ group: this.opts.group, generation: e.generationId, partitions }, 'joined the consumer group');
      });
      consumer.on('error', (err: Error) => {
        if (this.consumer !== consumer) return;
        this.opts.logger?.warn({ err, group: this.opts.group }, 'Kafka consumer lost its group membership; joining again');
        this.streamFailure = err;
        this.wakeup.notify();
      });
    }
    const stream = await this.consumer.consume({
      topics: this.opts.topics,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: false,
      maxWaitTime: 500,
      ...fetchBounds(this.opts.maxBatchChars),
    });
    this.streamFailure = undefined;
    this.delivered = new Map();
    this.held = undefined;
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
    const { progress } = this.opts;
    while (!this.stopping) {
      if (this.streamFailure) throw this.streamFailure;
      const { batch, positions, siblingBusy } = this.drain(stream);
      if (positions.size === 0) {
        await (siblingBusy ? Promise.race([siblingBusy, this.wakeup.wait()]) : this.wakeup.wait());
        continue;
      }
      for (const [tp, n] of positions) this.delivered.set(tp, n.offset);
      if (batch.length > 0) {
        progress.take(this, positions);
        try {
          await this.opts.handler(batch);
        } catch (err) {
          progress.release(this, positions, false);
          throw new HandlerFailed('handler failed', { cause: err });
        }
        progress.release(this, positions, true);
      }
      // Also when every message was skipped (handled already): the group's committed offsets catch up.
      await this.consumer!.commit({ offsets: [...positions.values()].map((n) => ({ ...n, leaderEpoch: -1 })) });
      onSuccess();
    }
  }

  /**
   * Takes what the stream holds, up to a batch, skipping messages this member (on this stream) or a sibling member
   * of this process already handled, and stopping at one a sibling holds in its batch now (`siblingBusy`: when that
   * batch ends). `positions`: per `topic:partition` read, the offset to commit once the batch is handled (past its
   * last message, or past what was handled already when that is further).
   */
  private drain(stream: StringStream): { batch: IncomingMessage[]; positions: Map<string, Position>; siblingBusy?: Promise<void> } {
    const { progress } = this.opts;
    const batch: IncomingMessage[] = [];
    const positions = new Map<string, Position>();
    let siblingBusy: Promise<void> | undefined;
    let chars = 0;
    // Messages come in runs of one partition: its offsets are looked up and noted once per run.
    let run: Position | undefined;
    let tp = '';
    let seen: bigint | undefined;
    const endRun = () => {
      if (run) positions.set(tp, { ...run, offset: max(run.offset, positions.get(tp)?.offset)! });
    };
    while (batch.length < this.opts.maxBatch && chars < this.opts.maxBatchChars) {
      const m = this.held ?? (stream.read() as Message<string, string, string, string> | null);
      this.held = undefined;
      if (m === null) break;
      if (!run || m.topic !== run.topic || m.partition !== run.partition) {
        endRun();
        tp = `${m.topic}:${m.partition}`;
        siblingBusy = progress.busy(tp, this, m.offset);
        if (siblingBusy) {
          this.held = m;
          run = undefined;
          break;
        }
        seen = max(this.delivered.get(tp), progress.handledUpTo(tp));
        run = { topic: m.topic, partition: m.partition, offset: -1n };
      }
      if (seen !== undefined && m.offset < seen) {
        if (seen > run.offset) run.offset = seen;
        continue;
      }
      run.offset = m.offset + 1n;
      const msg: IncomingMessage = { key: m.key ?? '', value: m.value ?? '', topic: m.topic, partition: m.partition, offset: m.offset };
      if (m.headers.size > 0) msg.headers = Object.fromEntries(m.headers);
      batch.push(msg);
      chars += msg.value.length;
    }
    endRun();
    return { batch, positions, siblingBusy };
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

function max(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  return a === undefined ? b : b === undefined || a > b ? a : b;
}

/**
 * A failure to reach the brokers, worth trying again: the client's network errors and timeouts say `canRetry`,
 * and a retried operation that failed every time (`joinGroup failed 4 times`) holds only such errors.
 */
export function isRetryableKafkaError(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.length > 0 && err.errors.every(isRetryableKafkaError);
  return (err as { canRetry?: unknown } | null)?.canRetry === true || isTransientNetError(err);
}
