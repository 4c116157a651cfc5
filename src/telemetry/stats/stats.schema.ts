import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

const Count = Nullable(Type.Number());
/** Counters keyed by a label (provider, outcome, result): the keys are open, the values numbers. */
const Counters = Type.Record(Type.String(), Type.Number());

const LastTick = Type.Object({
  tick_at: Type.String({ format: 'date-time' }),
  claimed_by: Type.String(),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
  duration_s: Nullable(Type.Number()),
  points: Count,
  readings: Count,
  ok: Count,
  no_data: Count,
  failed: Count,
});

const DayTotals = Type.Object({
  ticks: Type.Number(),
  unfinished: Type.Number(),
  readings: Type.Number(),
  ok: Type.Number(),
  no_data: Type.Number(),
  failed: Type.Number(),
});

const ByFrequency = Type.Object({ frequency: Type.Number(), last_tick: Nullable(LastTick), last_24h: Nullable(DayTotals) });

const ByProvider = Type.Object({
  provider: Type.String(),
  frequency: Type.Number(),
  points: Type.Number(),
  cursors: Type.Number(),
  oldest_cursor_at: Nullable(Type.String({ format: 'date-time' })),
  oldest_cursor_age_s: Nullable(Type.Number()),
  last_tick: Nullable(
    Type.Object({
      tick_at: Type.String({ format: 'date-time' }),
      points_collected: Count,
      ok: Count,
      no_data: Count,
      failed: Count,
      readings: Count,
    }),
  ),
});

export const BusLag = Type.Object({
  kind: Type.String(),
  /** Messages behind per consumer group; null when the bus could not tell. */
  lag: Type.Record(Type.String(), Nullable(Type.Number())),
});

export const ProcessorCounters = Type.Object({
  this_process: Type.Object({
    readings: Counters,
    batches: Type.Number(),
    avg_batch_ms: Nullable(Type.Number()),
    stored_per_s: Nullable(Type.Number()),
    stored_per_s_window_s: Nullable(Type.Number()),
  }),
});

/** GET /stats. Database figures are cluster-wide; `this_process` figures are this process's counters. */
export const StatsResponse = Type.Object({
  generated_at: Type.String({ format: 'date-time' }),
  timezone: Type.String(),
  collection: Type.Object({
    by_frequency: Type.Array(ByFrequency),
    by_provider: Type.Array(ByProvider),
    this_process: Type.Record(Type.String(), Counters),
  }),
  bus: Nullable(BusLag),
  processor: ProcessorCounters,
  dead_letters: Type.Object({ total: Type.Number(), last_24h: Type.Number() }),
  measurements: Type.Object({ stored_today: Type.Number(), today_since: Type.String({ format: 'date-time' }), numeric_only: Type.Boolean() }),
  cache: Type.Object({ kind: Type.String(), hits: Type.Number(), misses: Type.Number(), hit_ratio: Nullable(Type.Number()) }),
});

export type Stats = Static<typeof StatsResponse>;
export type BusLagReport = Static<typeof BusLag>;
