import { createHash } from 'node:crypto';
import { connect, type IClientOptions, type IConnackPacket, type ISubscriptionMap, type MqttClient } from 'mqtt';
import type { MqttSubscriptionMode } from '../../config.js';
import type { Logger } from '../../infra/logger.js';
import { AppError } from '../../errors.js';
import type { DeadLetterRow } from './measurement.repository.js';
import type { PushService } from './push.service.js';
import { parsePushBody, PUSH_BODY_LIMIT_BYTES, storableText, unknownVariables } from './push.rules.js';

/** Connections of the shared mode unless told otherwise. */
export const SHARED_CONNECTIONS = 2;

export interface MqttIngestOptions {
  url: string;
  /** Topics are `<prefix>/points/<id>/readings`; the prefix also names the shared-subscription group. */
  topicPrefix: string;
  /** Stable per process: the broker keeps each connection's session (subscription, unacked messages) under it. */
  clientId: string;
  /**
   * - `exclusive` (default): one connection with a plain persistent subscription. The broker keeps it over its own
   *   restart (Mosquitto with persistence) and queues readings for it from the moment it is back, so nothing is lost
   *   while the ingest reconnects. One process per client id and topic prefix: a second one would receive every
   *   reading again (stored once, but handled twice).
   * - `shared`: a shared subscription (`$share/<prefix>/…`) over several connections and processes, which the broker
   *   spreads messages over. Mosquitto 2.0 does not keep shared subscriptions over its restart: readings published
   *   between the broker's restart and the ingest's new subscription are dropped by the broker.
   */
  subscription?: MqttSubscriptionMode;
  /** Shared mode only: connections, each handling one message at a time, that the broker spreads messages over. */
  connections?: number;
  push: PushService;
  /** Stores and publishes dead letters the way the processor does. */
  recordDeadLetters: (dead: DeadLetterRow[]) => Promise<number>;
  logger: Logger;
}

/** How long the broker keeps an ingest connection's session (and queues its messages) while it is away. */
export const SESSION_EXPIRY_SECONDS = 7 * 86_400;
/** A session of the other mode is removed once nothing arrived on it for this long. */
const DRAIN_QUIET_MS = 2000;

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

export function readingsSubscription(prefix: string, mode: MqttSubscriptionMode = 'exclusive'): string {
  const filter = `${prefix}/points/+/readings`;
  return mode === 'shared' ? `$share/${prefix}/${filter}` : filter;
}

/** The client ids of the ingest's sessions: the client id itself (exclusive), or one per connection (shared). */
export function sessionClientIds(clientId: string, mode: MqttSubscriptionMode, connections = SHARED_CONNECTIONS): string[] {
  return mode === 'exclusive' ? [clientId] : Array.from({ length: Math.max(1, connections) }, (_, i) => `${clientId}-${i}`);
}

interface Session {
  client: MqttClient;
  sessionPresent: boolean;
  /** Messages being handled, and when the last one arrived: a drained session is quiet and has none. */
  handling: number;
  lastMessageAt: number;
}

/**
 * MQTT ingest: QoS 1 and persistent sessions, through an exclusive or a shared subscription (see
 * MqttIngestOptions.subscription). A message is acknowledged (PUBACK) only after its readings were accepted by the bus and
 * its dead letters stored; when that fails the message stays unacknowledged and the connection is reopened so the
 * broker sends it again. Whatever a message holds, the ingest never throws on it: bad input becomes dead letters.
 * At start, the sessions the same client id left in the other mode are drained (their queued readings handled)
 * and removed, so switching modes strands nothing and does not leave a session queueing copies for a week.
 */
export class MqttIngest {
  private readonly sessions: Session[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private retiring: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly opts: MqttIngestOptions) {}

  private get mode(): MqttSubscriptionMode {
    return this.opts.subscription ?? 'exclusive';
  }

  async start(): Promise<void> {
    const filter = readingsSubscription(this.opts.topicPrefix, this.mode);
    const ids = sessionClientIds(this.opts.clientId, this.mode, this.opts.connections);
    try {
      for (const id of ids) this.sessions.push(await this.open(id, filter));
    } catch (err) {
      // The broker is not there (yet): the sessions opened so far are closed, so a later start begins afresh.
      await Promise.all(this.sessions.splice(0).map((s) => s.client.endAsync().catch(() => undefined)));
      throw err;
    }
    this.opts.logger.info({ url: this.opts.url, subscription: filter, mode: this.mode, connections: ids.length }, 'MQTT ingest subscribed');
    const other: MqttSubscriptionMode = this.mode === 'exclusive' ? 'shared' : 'exclusive';
    this.retiring = this.retire(sessionClientIds(this.opts.clientId, other), readingsSubscription(this.opts.topicPrefix, other));
  }

  /** Stops taking messages, lets the ones in hand finish (and be acknowledged), then disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.retiring;
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.sessions.map((s) => s.client.endAsync().catch(() => undefined)));
    this.sessions.length = 0;
  }

  /**
   * Resumes each session of the other mode that exists: unsubscribes it, handles what the broker queued for it and
   * ends it for good. A session the broker did not have is ended at once. Stopped midway, a session stays for the
   * next start.
   */
  private async retire(clientIds: string[], filter: string): Promise<void> {
    for (const id of clientIds) {
      if (this.stopping) return;
      try {
        const s = await this.open(id, null);
        if (s.sessionPresent) {
          this.opts.logger.info({ clientId: id, subscription: filter }, 'MQTT ingest draining a session of its other subscription mode');
          await s.client.unsubscribeAsync(filter);
          while (!this.stopping && (s.handling > 0 || Date.now() - s.lastMessageAt < DRAIN_QUIET_MS)) await new Promise((r) => setTimeout(r, 250));
        }
        if (this.stopping) {
          await Promise.allSettled([...this.inFlight]);
          await s.client.endAsync().catch(() => undefined);
          return;
        }
        await s.client.endAsync({ properties: { sessionExpiryInterval: 0 } });
        if (s.sessionPresent) this.opts.logger.info({ clientId: id }, 'MQTT ingest removed the drained session');
      } catch (err) {
        this.opts.logger.warn({ err, clientId: id }, 'MQTT session of the other subscription mode not removed; retried at the next start');
      }
    }
  }

  /** Opens (or resumes) the session of `clientId`; subscribes it to `filter` unless null. */
  private async open(clientId: string, filter: string | null): Promise<Session> {
    const session: Session = { client: undefined as unknown as MqttClient, sessionPresent: false, handling: 0, lastMessageAt: Date.now() };
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
        session.handling++;
        session.lastMessageAt = Date.now();
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
        void work.finally(() => {
          this.inFlight.delete(work);
          session.handling--;
          session.lastMessageAt = Date.now();
        });
      },
    };
    const client = (session.client = connect(this.opts.url, options));
    // As connectAsync, keeping the CONNACK: whether the broker still had the session.
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      const onConnect = (packet: IConnackPacket) => {
        client.off('error', onError);
        resolve(packet);
      };
      const onError = (err: Error) => {
        client.off('connect', onConnect);
        client.end(true);
        reject(err);
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
    session.sessionPresent = connack.sessionPresent;
    client.on('error', (err) => this.opts.logger.warn({ err, clientId }, 'MQTT client error'));
    client.on('offline', () => !this.stopping && this.opts.logger.warn({ clientId }, 'MQTT broker unreachable; reconnecting'));
    if (filter === null) return session;
    // A broker restart restores the persistent session (sessionPresent) but Mosquitto 2.0 does not persist shared
    // subscriptions, and MQTT.js subscribes again only for a new session: without this a shared-mode ingest stays
    // connected and receives nothing. Subscribing again to an existing subscription only replaces it.
    if (this.mode === 'shared') {
      client.on('connect', (packet) => {
        if (!packet.sessionPresent || this.stopping) return;
        // `resubscribe`: MQTT.js otherwise leaves out a topic it believes subscribed and sends nothing.
        // (The library's ISubscriptionMap intersects an index signature with `resubscribe`, which no literal satisfies.)
        const again = { [filter]: { qos: 1 }, resubscribe: true } as unknown as ISubscriptionMap;
        client.subscribe(again, (err) => {
          if (err) this.opts.logger.warn({ err, clientId }, 'MQTT subscription after a reconnect failed');
          else this.opts.logger.info({ clientId }, 'MQTT ingest reconnected and subscribed again');
        });
      });
    }
    await client.subscribeAsync(filter, { qos: 1 });
    return session;
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
