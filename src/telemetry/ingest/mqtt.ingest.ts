import { createHash } from 'node:crypto';
import { connectAsync, type IClientOptions, type ISubscriptionMap, type MqttClient } from 'mqtt';
import type { Logger } from '../../infra/logger.js';
import { AppError } from '../../errors.js';
import type { DeadLetterRow } from './measurement.repository.js';
import type { PushService } from './push.service.js';
import { parsePushBody, PUSH_BODY_LIMIT_BYTES, storableText, unknownVariables } from './push.rules.js';

export interface MqttIngestOptions {
  url: string;
  /** Topics are `<prefix>/points/<id>/readings`; the prefix also names the shared-subscription group. */
  topicPrefix: string;
  /** Stable per process: the broker keeps each connection's session (subscription, unacked messages) under it. */
  clientId: string;
  /** Connections, each handling one message at a time; the shared subscription spreads messages over them. */
  connections?: number;
  push: PushService;
  /** Stores and publishes dead letters the way the processor does. */
  recordDeadLetters: (dead: DeadLetterRow[]) => Promise<number>;
  logger: Logger;
}

/** How long the broker keeps an ingest connection's session (and queues its messages) while it is away. */
export const SESSION_EXPIRY_SECONDS = 7 * 86_400;

/** What one message came to: readings handed to the bus and readings dead-lettered. */
export interface MqttMessageResult {
  published: number;
  deadLetters: number;
}

/** The point id of `<prefix>/points/<id>/readings`, or null when the topic does not name one. */
export function pointIdOfTopic(topic: string, prefix: string): number | null {
  const m = /^([^/]+)\/points\/([1-9]\d{0,15})\/readings$/.exec(topic);
  if (!m || m[1] !== prefix) return null;
  const id = Number(m[2]);
  return Number.isSafeInteger(id) ? id : null;
}

export function readingsSubscription(prefix: string): string {
  return `$share/${prefix}/${prefix}/points/+/readings`;
}

/**
 * MQTT ingest: a shared subscription with QoS 1 and persistent sessions. A message is acknowledged
 * (PUBACK) only after its readings were accepted by the bus and its dead letters stored; when that
 * fails the message stays unacknowledged and the connection is reopened so the broker sends it again.
 * Whatever a message holds, the ingest never throws on it: bad input becomes dead letters.
 */
export class MqttIngest {
  private readonly clients: MqttClient[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly opts: MqttIngestOptions) {}

  async start(): Promise<void> {
    const n = Math.max(1, this.opts.connections ?? 2);
    for (let i = 0; i < n; i++) this.clients.push(await this.connect(`${this.opts.clientId}-${i}`));
    this.opts.logger.info({ url: this.opts.url, subscription: readingsSubscription(this.opts.topicPrefix), connections: n }, 'MQTT ingest subscribed');
  }

  /** Stops taking messages, lets the ones in hand finish (and be acknowledged), then disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.clients.map((c) => c.endAsync().catch(() => undefined)));
    this.clients.length = 0;
  }

  private async connect(clientId: string): Promise<MqttClient> {
    const options: IClientOptions = {
      clientId,
      // MQTT 5: MQTT.js honours customHandleAcks only for version 5; the session outlives a disconnect
      // for SESSION_EXPIRY_SECONDS (with version 5 it would otherwise end with the connection).
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      customHandleAcks: (topic, message, _packet, done) => {
        // No PUBACK while stopping: the session keeps the message for the next start.
        if (this.stopping) return done(new Error('MQTT ingest is stopping'));
        const work = this.handle(topic, message).then(
          () => done(0),
          (err: unknown) => {
            this.opts.logger.error({ err, topic }, 'MQTT message not acknowledged: the bus or database refused it; reconnecting so the broker sends it again');
            done(err instanceof Error ? err : new Error(String(err)));
            // Unacknowledged QoS 1 messages are resent only on a new connection of the session.
            client.stream?.destroy();
          },
        );
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
    };
    const client = await connectAsync(this.opts.url, options);
    // A broker restart restores the persistent session (sessionPresent) but Mosquitto 2.0 does not persist shared
    // subscriptions, and MQTT.js subscribes again only for a new session: without this the ingest stays connected
    // and receives nothing. Subscribing again to an existing subscription only replaces it.
    client.on('connect', (connack) => {
      if (!connack.sessionPresent || this.stopping) return;
      // `resubscribe`: MQTT.js otherwise leaves out a topic it believes subscribed and sends nothing.
      // (The library's ISubscriptionMap intersects an index signature with `resubscribe`, which no literal satisfies.)
      const again = { [readingsSubscription(this.opts.topicPrefix)]: { qos: 1 }, resubscribe: true } as unknown as ISubscriptionMap;
      client.subscribe(again, (err) => {
        if (err) this.opts.logger.warn({ err, clientId }, 'MQTT subscription after a reconnect failed');
        else this.opts.logger.info({ clientId }, 'MQTT ingest reconnected and subscribed again');
      });
    });
    client.on('error', (err) => this.opts.logger.warn({ err, clientId }, 'MQTT client error'));
    client.on('offline', () => !this.stopping && this.opts.logger.warn({ clientId }, 'MQTT broker unreachable; reconnecting'));
    await client.subscribeAsync(readingsSubscription(this.opts.topicPrefix), { qos: 1 });
    return client;
  }

  /** One message: publishes its good readings, dead-letters the rest. Rejects only when the bus or database fails. */
  async handle(topic: string, payload: Buffer): Promise<MqttMessageResult> {
    const hash = createHash('sha256').update(payload).digest('hex').slice(0, 32);
    const letter = (code: string, reason: string, extra: Partial<DeadLetterRow> & { part?: string | number; reading?: unknown } = {}): DeadLetterRow => ({
      fingerprint: `mqtt/${topic}/${hash}/${extra.part ?? 'message'}`,
      point_id: extra.point_id ?? null,
      variable: extra.variable ?? null,
      ts: extra.ts ?? null,
      code,
      reason: storableText(`${reason} (MQTT topic ${topic})`),
      // As text: a payload may hold what jsonb refuses (NUL, lone surrogates) and must still be recorded.
      payload: { topic, payload: storableText(extra.reading === undefined ? payload.subarray(0, 10_000).toString('utf8') : JSON.stringify(extra.reading).slice(0, 10_000)) },
    });
    const dead = async (rows: DeadLetterRow[]) => ({ published: 0, deadLetters: await this.opts.recordDeadLetters(rows) });

    const pointId = pointIdOfTopic(topic, this.opts.topicPrefix);
    if (pointId === null) return dead([letter('unknown_point', 'the topic does not name a point id')]);
    if (payload.length > PUSH_BODY_LIMIT_BYTES) {
      return dead([letter('malformed_payload', `payload of ${payload.length} bytes exceeds ${PUSH_BODY_LIMIT_BYTES}`, { point_id: pointId })]);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return dead([letter('malformed_payload', 'payload is not valid JSON', { point_id: pointId })]);
    }
    let variables: Set<string>;
    try {
      variables = await this.opts.push.variablesOf(pointId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'POINT_NOT_FOUND') return dead([letter('unknown_point', `point ${pointId} does not exist`, { point_id: pointId })]);
      throw err;
    }

    const parsed = parsePushBody(body);
    const rows: DeadLetterRow[] = [];
    const items = parsed.single ? [body] : ((body as { readings?: unknown }).readings as unknown[] | undefined);
    for (const issue of parsed.issues) {
      const reading = issue.index === null ? undefined : items?.[issue.index];
      rows.push(letter('invalid_reading', issue.message, { point_id: pointId, part: issue.index ?? 'message', reading }));
    }
    const unknown = unknownVariables(parsed, pointId, variables);
    const refused = new Set(unknown.map((u) => u.index));
    for (const issue of unknown) {
      const r = parsed.readings.find((x) => x.index === issue.index)!.reading;
      rows.push(letter('unknown_variable', issue.message, { point_id: pointId, part: issue.index ?? 'message', variable: r.variable, ts: r.ts, reading: r }));
    }
    const good = parsed.readings.filter((r) => !refused.has(r.index)).map((r) => r.reading);
    const published = await this.opts.push.publish(pointId, good);
    const deadLetters = await this.opts.recordDeadLetters(rows);
    return { published, deadLetters };
  }
}
