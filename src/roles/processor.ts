import type { Container } from '../container.js';
import { ProcessorConsumer } from '../telemetry/ingest/processor.consumer.js';
import type { RunningRole } from './api.js';

/**
 * Node flags a processor process runs with (NODE_OPTIONS of the processor in deploy/k8s/processor.yaml and compose.yaml;
 * the bench starts its processor with them). Without an old-space limit V8 derives one from the machine's memory
 * (GBs), and with a limit that large it lets the heap grow to about 4× what survived the last full collection before
 * collecting again: a processor whose live heap is 50–75 MB reached 380–440 MB RSS. With a limit of 512 MB (far
 * above that live heap, so no batch comes near it) V8 grows the heap by about 1.4× instead: 210–250 MB RSS with two
 * consumers. A young generation of 8 MB semi-spaces (instead of 16) keeps three consumers there too (218–221 MB
 * against 235–283 MB peak RSS, the same ingestion rate within the run-to-run spread).
 */
export const PROCESSOR_NODE_OPTIONS = '--max-old-space-size=512 --max-semi-space-size=8';

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
