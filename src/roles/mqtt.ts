import { hostname } from 'node:os';
import type { Container } from '../container.js';
import { MqttIngest } from '../telemetry/ingest/mqtt.ingest.js';
import { isTransientNetError, waitUntilUp } from '../lib/wait-until-up.js';
import type { RunningRole } from './api.js';

/**
 * The mqtt role: readings pushed by devices to `<MQTT_TOPIC_PREFIX>/points/<id>/readings`, through the
 * same bus and processor as collected readings. One process per client id by default (MQTT_SUBSCRIPTION=exclusive,
 * which loses nothing when the broker restarts); with MQTT_SUBSCRIPTION=shared several processes split the load.
 */
export async function startMqtt(c: Container, opts: { clientId?: string; connections?: number } = {}): Promise<RunningRole & { ingest: MqttIngest }> {
  const url = c.config.mqttUrl;
  if (!url) throw new Error('the mqtt role needs MQTT_URL (e.g. mqtt://127.0.0.1:1883)');
  const ingest = new MqttIngest({
    url,
    topicPrefix: c.config.mqttTopicPrefix,
    clientId: opts.clientId ?? c.config.mqttClientId ?? `smarthydro-${hostname()}`.slice(0, 40),
    subscription: c.config.mqttSubscription,
    connections: opts.connections,
    push: c.push,
    recordDeadLetters: (dead) => c.processor.recordDeadLetters(dead),
    logger: c.logger,
  });
  // A role started before its broker (compose, Kubernetes) waits for it instead of exiting.
  await waitUntilUp(() => ingest.start(), isTransientNetError, {
    onRetry: ({ attempt, delayMs, err }) =>
      c.logger.warn({ url, attempt, retry_in_ms: delayMs, err: (err as Error).message }, 'MQTT broker is not reachable yet; waiting for it (start it or fix MQTT_URL)'),
  });
  return { name: 'mqtt', ingest, stop: () => ingest.stop() };
}
