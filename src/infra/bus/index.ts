import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { KafkaBus } from './kafka/index.js';
import { MemoryBus } from './memory.js';

export * from './bus.js';
export { KafkaBus, KAFKA_COMPRESSION, type KafkaBusOptions } from './kafka/index.js';
export { MemoryBus, type MemoryBusOptions } from './memory.js';

/** The in-process bus when no brokers are configured (embedded mode), Kafka otherwise. */
export function createBus(opts: { kafkaBrokers?: string[]; clientId: string; logger?: Logger }): Bus {
  if (!opts.kafkaBrokers || opts.kafkaBrokers.length === 0) return new MemoryBus({ logger: opts.logger });
  return new KafkaBus({ brokers: opts.kafkaBrokers, clientId: opts.clientId, logger: opts.logger });
}
