import type { Container } from '../container.js';
import { ProcessorConsumer } from '../telemetry/ingest/processor.consumer.js';
import type { RunningRole } from './api.js';

/** The processor role: runs the processor's consumers (see ProcessorConsumer) until stopped. */
export async function startProcessor(c: Container): Promise<RunningRole> {
  const consumer = new ProcessorConsumer({
    processor: c.processor,
    bus: c.bus,
    topics: c.topics,
    logger: c.logger,
    clock: c.clock,
    concurrency: c.config.processorConcurrency,
    refreshLag: () => c.stats.busLag(),
  });
  await consumer.start();
  return { name: 'processor', stop: () => consumer.stop() };
}
