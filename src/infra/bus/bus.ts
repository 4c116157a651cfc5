/** Message bus contract shared by the in-process bus and Kafka: at-least-once, ordered per key, batches. */
export const TOPICS = {
  raw: 'telemetry.raw.v1',
  measurements: 'telemetry.measurements.v1',
  dlq: 'telemetry.dlq.v1',
} as const;

export interface BusNames {
  raw: string;
  measurements: string;
  dlq: string;
  processorGroup: string;
}

/** Partitions of the platform's topics when they are created (more consumers than this sit idle). */
export const TOPIC_PARTITIONS = 6;

/**
 * Topic and consumer-group names under a namespace (BUS_NAMESPACE), so several deployments or test
 * runs can share one Kafka cluster without reading each other's messages or offsets.
 */
export function busNames(namespace = ''): BusNames {
  const p = namespace ? `${namespace}.` : '';
  return {
    raw: `${p}${TOPICS.raw}`,
    measurements: `${p}${TOPICS.measurements}`,
    dlq: `${p}${TOPICS.dlq}`,
    processorGroup: `${p}smarthydro-processor`,
  };
}

/** Consumer groups of a deployment and the topics each consumes: what consumer lag is reported for. */
export function consumerGroups(names: BusNames): { group: string; topics: string[] }[] {
  return [{ group: names.processorGroup, topics: [names.raw] }];
}

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage extends OutgoingMessage {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface SubscribeOptions {
  group: string;
  topics: string[];
  handler: (batch: IncomingMessage[]) => Promise<void>;
  /** At most this many messages per batch. */
  maxBatch?: number;
  /**
   * A batch takes no further message once its values hold this many characters (it always takes at
   * least one): many small messages make big batches, a few big ones keep memory bounded.
   */
  maxBatchChars?: number;
}

export interface Subscription {
  /** Stops fetching, waits for the batch in flight to finish and commit. */
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: 'memory' | 'kafka';
  /** Creates the topics that do not exist yet with `partitions` partitions; existing topics keep theirs. */
  ensureTopics(topics: string[], partitions: number): Promise<void>;
  /** Resolves only when the broker acknowledged every message (acks=all for Kafka). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Consumes `topics` as consumer group `group`. The handler receives batches; offsets are committed
   * only after the handler resolves. A handler that throws gets the same batch again (after a pause).
   */
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Messages not yet committed by `group` across its topics (consumer lag). */
  lag(group: string, topics: string[]): Promise<number>;
  /**
   * Members of consumer group `group` now (Kafka: as the group coordinator knows them; a member that died
   * without leaving counts until its session times out).
   */
  members(group: string): Promise<number>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}
