import type { Db, Queryable } from '../../infra/db/index.js';
import type { Bus, IncomingMessage } from '../../infra/bus/index.js';
import type { BusNames } from '../../infra/bus/index.js';
import type { Logger } from '../../infra/logger.js';
import type { Metrics } from '../../infra/metrics.js';
import type { Clock } from '../../lib/clock.js';
import type { SchemaService } from '../../registry/schema.service.js';
import {
  emptyTotalizerState, isTotalizer, processSeries, qualityScore, type ConfirmedReset, type Measurement, type PointContext, type RawReading, type ResetEvent,
  type ResetMove, type TotalizerState,
} from '../processing/index.js';
import { counterLimitsOf } from '../../registry/variables.js';
import { decodeRawBatch } from './raw-message.js';
import { parseIsoDate } from '../../lib/time.js';
import { type DeadLetterRow, type InsertedRow, MeasurementRepository, type MeasurementRow } from './measurement.repository.js';
import { TotalizerStateRepository } from './totalizer-state.repository.js';
import { PointContextRepository } from './point-context.repository.js';
import { deadLetter } from './dead-letter.js';

export interface ProcessorHooks {
  /** Inside the transaction, with exactly the rows inserted now (rollups). */
  afterInsert?: (tx: Queryable, inserted: InsertedRow[]) => Promise<void>;
  /**
   * Inside the transaction, after the inserts: stored values of a point variable changed from `from` on
   * (a late reading moved a reset; a suspect drop turned out to be a reset): rollups are rebuilt from there.
   */
  afterRewrite?: (tx: Queryable, moved: { point_id: number; variable: string; from: Date }[]) => Promise<void>;
  /** After the commit (latest-value cache). */
  onWritten?: (pointIds: number[]) => Promise<void>;
}

export interface BatchResult {
  readings: number;
  stored: number;
  duplicates: number;
  deadLetters: number;
  resets: number;
}

/** A raw reading with where it came from: message index in the batch and position in the message. */
interface Entry extends RawReading {
  message: number;
  index: number;
  provider: string;
}

/**
 * The processor: turns raw batches into measurements. One call handles one bus batch:
 * everything it writes commits in one transaction, and the caller commits the offsets only after.
 */
export class ProcessorService {
  private readonly repo: MeasurementRepository;
  private readonly states: TotalizerStateRepository;
  private readonly pointContexts: PointContextRepository;

  constructor(
    private readonly deps: {
      db: Db;
      bus: Bus;
      topics: BusNames;
      schemas: SchemaService;
      logger: Logger;
      metrics: Metrics;
      retentionDays: number;
      hooks?: ProcessorHooks;
      clock: Clock;
    },
  ) {
    this.repo = new MeasurementRepository(deps.db);
    this.states = new TotalizerStateRepository(deps.db);
    this.pointContexts = new PointContextRepository(deps.db);
  }

  get measurements(): MeasurementRepository {
    return this.repo;
  }

  async handleBatch(messages: IncomingMessage[]): Promise<BatchResult> {
    const started = performance.now();
    const now = this.deps.clock.now();
    const dead: DeadLetterRow[] = [];
    // point → variable → readings; each reading remembers its message and position (for dead letters).
    const groups = new Map<number, Map<string, Entry[]>>();
    let readingsTotal = 0;
    const rejectEntry = (pointId: number, e: Entry, code: string, reason: string) =>
      dead.push(deadLetter(messages[e.message]!, e.index, { point_id: pointId, variable: e.variable, ts: e.ts }, { code, reason }, { raw: e.raw }));

    // A message's readings usually share one timestamp (one reading of each variable): read once, one Date for all
    // (Dates are never changed once made).
    let tsText: unknown;
    let tsDate = new Date(Number.NaN);
    for (let m = 0; m < messages.length; m++) {
      const batch = decodeRawBatch(messages[m]!.value);
      if ('error' in batch) {
        dead.push(deadLetter(messages[m]!, undefined, { point_id: null, variable: null, ts: null }, { code: 'malformed_message', reason: batch.error }, { value: messages[m]!.value.slice(0, 10_000) }));
        continue;
      }
      let byVar = groups.get(batch.point_id);
      if (!byVar) groups.set(batch.point_id, (byVar = new Map()));
      const { readings, provider } = batch;
      for (let i = 0; i < readings.length; i++) {
        const r = readings[i]!;
        readingsTotal++;
        if (r.ts !== tsText) {
          tsText = r.ts;
          tsDate = parseIsoDate(r.ts);
        }
        const ts = tsDate;
        if (typeof r.variable !== 'string' || Number.isNaN(ts.getTime())) {
          const reason = `reading has no variable name or an invalid timestamp "${String(r.ts)}"`;
          dead.push(deadLetter(messages[m]!, i, { point_id: batch.point_id, variable: String(r.variable), ts: null }, { code: 'invalid_reading', reason }, r));
          continue;
        }
        let list = byVar.get(r.variable);
        if (!list) byVar.set(r.variable, (list = []));
        list.push({ variable: r.variable, ts, raw: r.raw, message: m, index: i, provider });
      }
    }

    const pointIds = [...groups.keys()];
    const [points, states, variablesOf] = await Promise.all([
      this.pointContexts.load(pointIds),
      this.states.loadStates(pointIds),
      this.deps.schemas.variablesOf(pointIds),
    ]);
    const rows: MeasurementRow[] = [];
    // The newest row of each point variable (latest values).
    const newest: MeasurementRow[] = [];
    const newStates: { point_id: number; variable: string; state: TotalizerState }[] = [];
    const resets: { point_id: number; reset: ResetEvent }[] = [];
    const moves: { point_id: number; move: ResetMove }[] = [];
    const confirmedStored: { point_id: number; reset: ConfirmedReset; quality_score: number }[] = [];

    for (const [pointId, byVar] of groups) {
      const point = points.get(pointId);
      const reject = (code: string, reason: string) => {
        for (const list of byVar.values()) {
          for (const e of list) rejectEntry(pointId, e, code, reason);
        }
      };
      if (!point) {
        reject('unknown_point', `point ${pointId} does not exist`);
        continue;
      }
      if (!point.is_telemetry_active) {
        reject('inactive_point', `point ${pointId} has telemetry switched off`);
        continue;
      }
      const variables = variablesOf.get(pointId)!;
      for (const [variable, list] of byVar) {
        const config = variables.byKey.get(variable);
        if (!config) {
          for (const e of list) rejectEntry(pointId, e, 'unknown_variable', `variable "${variable}" is not in point ${pointId}'s schema`);
          continue;
        }
        const ctx: PointContext = {
          pointId,
          levelSensorPosition: point.level_sensor_position,
          counterLimits: counterLimitsOf(variables, config),
          retentionDays: this.deps.retentionDays,
        };
        const key = `${pointId}\u0000${variable}`;
        const totalizer = isTotalizer(config.kind);
        const initial = totalizer ? (states.get(key) ?? emptyTotalizerState(point.initial_meter_reading ?? 0)) : undefined;
        const series = processSeries(list, config, ctx, initial, now);
        let last: MeasurementRow | undefined;
        for (let i = 0; i < series.outcomes.length; i++) {
          const outcome = series.outcomes[i]!;
          if (!outcome.ok) {
            rejectEntry(pointId, series.readings[i]!, outcome.code, outcome.reason);
            continue;
          }
          const row = storedRow(outcome.measurement);
          rows.push(row);
          // In time order: the first of the newest instant (a repeat of it is not stored).
          if (!last || row.ts.getTime() > last.ts.getTime()) last = row;
        }
        if (last) newest.push(last);
        if (totalizer && series.state) newStates.push({ point_id: pointId, variable, state: series.state });
        for (const reset of series.resets) resets.push({ point_id: pointId, reset });
        for (const move of series.moves) moves.push({ point_id: pointId, move });
        for (const reset of series.confirmed) {
          // The suspect reading is in this batch (not stored yet) or stored by an earlier one.
          const row = rows.find((r) => r.point_id === pointId && r.variable === variable && r.ts.getTime() === reset.ts.getTime());
          const flags = row ? row.quality_flags.map((f) => (f === 'suspect_drop' ? 'counter_reset' : f)) : ['counter_reset' as const];
          const score = qualityScore(flags, true);
          if (row) {
            row.value_numeric = reset.value;
            row.meter_value = reset.meter;
            row.quality_flags = flags;
            row.quality_score = score;
          } else {
            confirmedStored.push({ point_id: pointId, reset, quality_score: score });
          }
        }
      }
    }

    await this.repo.ensurePartitions(rows.map((r) => r.ts));
    const { inserted, newDead } = await this.deps.db.transaction(async (tx) => {
      await this.states.moveResets(tx, moves);
      await this.states.confirmSuspects(tx, confirmedStored);
      const inserted = await this.repo.insert(tx, rows);
      if (inserted.length > 0) await this.deps.hooks?.afterInsert?.(tx, inserted);
      const rewritten = [
        ...moves.map((m) => ({ point_id: m.point_id, variable: m.move.variable, from: m.move.resetTs })),
        ...confirmedStored.map((c) => ({ point_id: c.point_id, variable: c.reset.variable, from: c.reset.ts })),
      ];
      if (rewritten.length > 0) await this.deps.hooks?.afterRewrite?.(tx, rewritten);
      await this.repo.upsertLatest(tx, newest);
      await this.states.saveStates(tx, newStates);
      await this.states.logResets(tx, resets);
      const newDead = await this.repo.deadLetters(tx, dead);
      return { inserted, newDead };
    });

    // After the commit, at once (they do not depend on each other): downstream topics and caches. A failure here
    // re-delivers the batch, which the database absorbs (nothing is inserted twice; dead letters are keyed by fingerprint).
    const after: Promise<void>[] = [];
    if (dead.length > 0) after.push(this.deps.bus.publish(this.deps.topics.dlq, deadLetterMessages(dead)));
    if (inserted.length > 0) {
      after.push(this.deps.bus.publish(this.deps.topics.measurements, summarize(inserted)));
      const onWritten = this.deps.hooks?.onWritten;
      if (onWritten) after.push(onWritten([...new Set(inserted.map((r) => Number(r.point_id)))]));
    }
    const failed = (await Promise.allSettled(after)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const m of moves) {
      this.deps.logger.warn({ point_id: m.point_id, variable: m.move.variable, reset_ts: m.move.resetTs, delta: m.move.delta }, 'late reading moved a totalizer reset');
    }
    for (const r of resets) {
      this.deps.logger.warn({ point_id: r.point_id, variable: r.reset.variable, ts: r.reset.ts, lost_volume: r.reset.lostVolume }, 'totalizer counter reset');
    }

    const result: BatchResult = {
      readings: readingsTotal,
      stored: inserted.length,
      duplicates: rows.length - inserted.length,
      deadLetters: dead.length,
      resets: resets.length,
    };
    this.deps.metrics.processedReadings.inc({ outcome: 'stored' }, result.stored);
    this.deps.metrics.processedReadings.inc({ outcome: 'duplicate' }, result.duplicates);
    this.deps.metrics.processedReadings.inc({ outcome: 'dead_letter' }, newDead);
    this.deps.metrics.processingDuration.observe((performance.now() - started) / 1000);
    return result;
  }

  /**
   * Dead letters found before a reading reaches the bus (a malformed MQTT payload, an unknown point):
   * stored and published on the dead-letter topic like the processor's own. Returns how many were new.
   */
  async recordDeadLetters(dead: DeadLetterRow[]): Promise<number> {
    if (dead.length === 0) return 0;
    const created = await this.repo.deadLetters(this.deps.db, dead);
    await this.deps.bus.publish(this.deps.topics.dlq, deadLetterMessages(dead));
    this.deps.metrics.processedReadings.inc({ outcome: 'dead_letter' }, created);
    return created;
  }
}

/** A measurement of a reading given its point and sender (Entry, PointContext.pointId) is the row to store. */
function storedRow(m: Measurement): MeasurementRow {
  if (m.point_id === undefined || m.provider === undefined) throw new Error('a measurement to store needs its point and provider');
  return m as MeasurementRow;
}

/** telemetry.dlq.v1: one message per dead letter, keyed by point. */
function deadLetterMessages(dead: DeadLetterRow[]) {
  return dead.map((d) => ({ key: String(d.point_id ?? 'unknown'), value: JSON.stringify(d) }));
}

/** telemetry.measurements.v1: per point, what was stored (variables and time range). */
function summarize(inserted: InsertedRow[]) {
  const byPoint = new Map<number, { variables: Set<string>; from: number; to: number; count: number }>();
  for (const r of inserted) {
    const id = Number(r.point_id);
    const t = r.ts instanceof Date ? r.ts.getTime() : new Date(r.ts).getTime();
    const s = byPoint.get(id);
    if (!s) byPoint.set(id, { variables: new Set([r.variable]), from: t, to: t, count: 1 });
    else {
      s.variables.add(r.variable);
      s.from = Math.min(s.from, t);
      s.to = Math.max(s.to, t);
      s.count++;
    }
  }
  return [...byPoint].map(([id, s]) => ({
    key: String(id),
    value: JSON.stringify({ v: 1, point_id: id, variables: [...s.variables], from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString(), count: s.count }),
  }));
}
