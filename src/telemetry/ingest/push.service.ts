import type { Bus, BusNames } from '../../infra/bus/index.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, ForbiddenError, ValidationError } from '../../errors.js';
import { type Principal, requireStaff } from '../../auth/principal.js';
import type { AuthService } from '../../auth/auth.service.js';
import type { SchemaService } from '../../registry/schema.service.js';
import type { PointVisibility } from '../query/visibility.js';
import { encodeRawBatches } from './raw-message.js';
import { type PushIssue, type PushReading, parsePushBody, unknownVariables } from './push.rules.js';

/** Who pushes over HTTP: the principal, and for an ingest key the points it names. */
export interface PushCaller {
  principal: Principal;
  ingestPointIds: readonly number[] | null;
}

/** At most this many points per ingest key (the list travels with every request's key lookup). */
export const MAX_INGEST_KEY_POINTS = 1000;

/**
 * Pushed readings (HTTP and MQTT): checked against the point's variables, then published as raw
 * batches (provider `push`) on the same topic as collected readings, so the processor applies the
 * same rules, dead letters, rollups and latest values. Resolves once the bus accepted them.
 */
export class PushService {
  constructor(
    private readonly deps: {
      bus: Bus;
      topics: BusNames;
      schemas: SchemaService;
      visibility: PointVisibility;
      auth: AuthService;
      clock: Clock;
    },
  ) {}

  /** HTTP push: the whole body is refused (400) when any reading is malformed or names an unknown variable. */
  async push(caller: PushCaller, pointId: number, body: unknown): Promise<{ accepted: number }> {
    if (caller.ingestPointIds) {
      if (!caller.ingestPointIds.includes(pointId)) throw new ForbiddenError(`this ingest key may not push to point ${pointId}`);
    } else {
      requireStaff(caller.principal);
    }
    await this.deps.visibility.assertVisible(caller.principal, pointId);
    const parsed = parsePushBody(body);
    throwFirst(parsed.issues);
    throwFirst(unknownVariables(parsed, pointId, await this.variablesOf(pointId)));
    return { accepted: await this.publish(pointId, parsed.readings.map((r) => r.reading)) };
  }

  /**
   * Keys of the point's variables, as the processor reads them (SchemaService.variables), so a reading
   * accepted here is never refused there as an unknown variable. Throws POINT_NOT_FOUND for a point
   * that does not exist.
   */
  async variablesOf(pointId: number): Promise<Set<string>> {
    await this.deps.schemas.mergedConfig(pointId); // POINT_NOT_FOUND for a point that does not exist (cached)
    return new Set((await this.deps.schemas.variables(pointId)).byKey.keys());
  }

  /** Publishes readings already checked; resolves when the bus accepted every message. */
  async publish(pointId: number, readings: readonly PushReading[]): Promise<number> {
    if (readings.length === 0) return 0;
    const messages = encodeRawBatches(
      { point_id: pointId, provider: 'push', collected_at: this.deps.clock.now().toISOString() },
      readings.map((r) => ({ variable: r.variable, ts: r.ts, raw: r.value })),
    );
    try {
      await this.deps.bus.publish(this.deps.topics.raw, messages);
    } catch (err) {
      throw new AppError('BUS_UNAVAILABLE', 'the message bus did not take the readings; send them again (a reading sent twice is stored once)', 503, undefined, { cause: err });
    }
    return readings.length;
  }

  /** An ingest key for points the actor can see (a client user: its client's points). */
  async createIngestKey(caller: PushCaller, name: string, pointIds: readonly number[]) {
    if (caller.ingestPointIds) throw new ForbiddenError('an ingest key cannot create keys');
    const unique = [...new Set(pointIds)];
    for (const id of unique) await this.deps.visibility.assertVisible(caller.principal, id);
    return { ...(await this.deps.auth.createApiKey(caller.principal, name, unique)), point_ids: unique };
  }
}

function throwFirst(issues: PushIssue[]): void {
  const first = issues[0];
  if (!first) return;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new ValidationError(`${first.message}${more}`, first.field, {
    problems: issues.slice(0, 20).map((i) => ({ field: i.field, message: i.message })),
  });
}
