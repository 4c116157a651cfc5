import { randomBytes } from 'node:crypto';
import type { Container } from '../../src/container.js';
import { escapeCopyText } from '../../src/infra/db/index.js';
import { createBus, type Bus, type OutgoingMessage } from '../../src/infra/bus/index.js';
import { encodeRawBatches, MAX_READINGS_PER_MESSAGE } from '../../src/telemetry/ingest/raw-message.js';
import { PROCESSOR_BATCH } from '../../src/telemetry/ingest/processor.consumer.js';
import { templateConfig } from '../../src/demo/seed.js';
import { percentile, result, sampleRss, type BenchResult } from './stats.js';
import { startProcessorProcess } from './role-process.js';

export interface IngestOptions {
  readings: number;
  points: number;
  /** Processor consumers in the group (each handles its own partitions). */
  consumers?: number;
  /**
   * Readings per bus message: 2,000 (default) is a collector catch-up window, 3 is one reading of each
   * variable, what steady 1-minute collection publishes per point.
   */
  perMessage?: number;
  progress: (msg: string) => void;
}

const VARIABLES = ['caudal', 'totalizador', 'nivel'] as const;

/**
 * Ingestion through the real bus (Kafka when KAFKA_BROKERS is set, else in-process) and the real
 * processor into the real database, against a bare COPY of the same rows into the same table.
 */
export async function benchIngestion(c: Container, opts: IngestOptions): Promise<BenchResult[]> {
  const { progress } = opts;
  const points = await createBenchPoints(c, opts.points);
  const perPoint = Math.ceil(opts.readings / opts.points / VARIABLES.length);
  const start = Date.now() - perPoint * 60_000 - 3600_000;
  const perMessage = Math.min(opts.perMessage ?? MAX_READINGS_PER_MESSAGE, MAX_READINGS_PER_MESSAGE);
  progress(`ingestion: ${perPoint * VARIABLES.length * points.length} readings for ${points.length} points, ${perMessage} per message …`);
  const messages = points.flatMap((pointId, pi) => {
    const readings: { variable: string; ts: string; raw: unknown }[] = [];
    let total = 1000 + pi * 10;
    for (let i = 0; i < perPoint; i++) {
      const ts = new Date(start + i * 60_000).toISOString();
      const flow = (i % 120) < 80 ? 12 + (i % 7) * 0.3 : 0;
      total += flow * 0.06;
      readings.push({ variable: 'caudal', ts, raw: flow.toFixed(2) }, { variable: 'totalizador', ts, raw: total.toFixed(3) }, { variable: 'nivel', ts, raw: (30 - flow * 0.4).toFixed(2) });
    }
    return encodeRawBatches({ point_id: pointId, provider: 'bench', collected_at: new Date().toISOString() }, readings, opts.perMessage);
  });
  const total = perPoint * VARIABLES.length * points.length;
  await c.processor.measurements.ensurePartitions([new Date(start), new Date()]);
  await settleDatabase(c);

  // With Kafka and PostgreSQL the processor runs as in production, a `start --roles processor` process
  // of its own (its peak RSS is the processor's); embedded, PGlite and the in-process bus live in this
  // process, so the processor does too.
  const run = c.config.kafkaBrokers && c.db.kind === 'postgres'
    ? await runProcessorProcess(c, messages, total, opts.consumers ?? 2)
    : await runProcessorInProcess(c, messages, total, opts.consumers ?? 2);
  const { rate, published } = run;
  progress(`ingestion: ${total} measurements at ${Math.round(rate).toLocaleString('en')}/s (${run.how}; published in ${(published / 1000).toFixed(1)} s); bare COPY …`);

  const copyRate = await bareCopyRate(c, points);

  const where = `${c.db.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} + ${c.config.kafkaBrokers ? 'Kafka' : 'in-process bus'}`;
  return [
    result(
      `ingestion rate (${where}, ${perMessage} readings per message, ${run.backlog ? 'draining a backlog' : 'published meanwhile'}; target ${ingestShareOfCopy(perMessage)}× bare COPY)`,
      rate,
      'measurements/s',
      c.db.kind === 'postgres' && c.config.kafkaBrokers ? Math.round(copyRate * ingestShareOfCopy(perMessage)) : null,
      copyRate,
      'higher',
    ),
    result(`bare COPY of the same rows (${where.split(' +')[0]}, ${perMessage} per message run)`, copyRate, 'rows/s', null, null, 'higher'),
    result(`${run.rssLabel}, peak (${perMessage} readings per message)`, run.peakRssMb, 'MB', run.rssTargetMb, null),
  ];
}

/**
 * Quality bar (SPEC §11): the pipeline (bus, processor, rollups, latest values) stores at least this share of
 * what a bare COPY of the same rows into the same table achieves in the same run: 0.9× for catch-up
 * messages of 2,000 readings, 0.8× for the 3-reading messages of steady 1-minute collection.
 */
export function ingestShareOfCopy(perMessage: number): number {
  return perMessage >= MAX_READINGS_PER_MESSAGE ? 0.9 : 0.8;
}

/** Timed COPYs of the baseline: the machine's pace drifts by a quarter from one COPY to the next; the median of three is the baseline. */
export const BASELINE_COPIES = 3;

/**
 * Baseline: the points' stored rows, already processed, COPYed back into the same (emptied) table, BASELINE_COPIES
 * times; rows/s, the median.
 */
export async function bareCopyRate(c: Container, points: number[]): Promise<number> {
  const { rows } = await c.db.query<Record<string, unknown>>(
    `SELECT point_id, variable, ts, value_numeric, value_text, value_boolean, raw_value, quality_score, quality_flags, provider, processing_config
     FROM measurements WHERE point_id = ANY($1::bigint[])`,
    [points],
  );
  const columns = ['point_id', 'variable', 'ts', 'value_numeric', 'value_text', 'value_boolean', 'raw_value', 'quality_score', 'quality_flags', 'provider', 'processing_config'];
  const lines = rows.map((r) => columns.map((col) => escapeCopyText(col === 'quality_flags' ? `{${(r[col] as string[]).join(',')}}` : r[col])).join('\t') + '\n');
  const rates: number[] = [];
  for (let i = 0; i < BASELINE_COPIES; i++) {
    await c.db.query('DELETE FROM measurements WHERE point_id = ANY($1::bigint[])', [points]);
    await settleDatabase(c);
    const c0 = performance.now();
    await c.db.copyFrom('measurements', columns, lines);
    rates.push(lines.length / ((performance.now() - c0) / 1000));
  }
  return percentile(rates.sort((a, b) => a - b), 50);
}

/**
 * Before each timed part, PostgreSQL is brought to the same state: the table vacuumed (no dead rows left by the
 * previous part's DELETE for the COPY to step over, no autovacuum starting mid-run) and a checkpoint taken (so
 * one is not due in the middle of a part). Without this the COPY baseline swung by a third between runs.
 */
async function settleDatabase(c: Container): Promise<void> {
  if (c.db.kind !== 'postgres') return;
  await c.db.exec('VACUUM (ANALYZE) measurements');
  await c.db.exec('CHECKPOINT').catch(() => undefined); // needs superuser or pg_checkpoint; the figures are noisier without
}

interface IngestRun {
  /** Measurements stored per second. */
  rate: number;
  /** How the rate was timed (progress line). */
  how: string;
  /** Whether the messages were all published before the processor started (else while it ran). */
  backlog: boolean;
  /** Time taken to publish the messages, ms. */
  published: number;
  peakRssMb: number;
  rssLabel: string;
  /** The processor's own process has a quality bar; the bench process (embedded run) has none. */
  rssTargetMb: number | null;
}

/** Quality bar: peak RSS of a processor process. */
const PROCESSOR_RSS_TARGET_MB = 256;

/** Consumers of a topic and group of their own in this process, calling the processor directly. */
async function runProcessorInProcess(c: Container, messages: OutgoingMessage[], total: number, consumers: number): Promise<IngestRun> {
  const bus = createBus({ kafkaBrokers: c.config.kafkaBrokers, clientId: 'smarthydro-bench', logger: c.logger });
  const topic = `bench.raw.${randomBytes(4).toString('hex')}`;
  let stored = 0;
  const rss = sampleRss(50);
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const subs = await Promise.all(
    Array.from({ length: consumers }, () =>
      bus.subscribe({
        group: `bench-${topic}`,
        topics: [topic],
        ...PROCESSOR_BATCH,
        handler: async (batch) => {
          const r = await c.processor.handleBatch(batch);
          stored += r.stored;
          if (stored >= total) done();
        },
      }),
    ),
  );
  const t0 = performance.now();
  const published = await publishAll(bus, topic, messages, t0);
  await finished;
  const elapsed = performance.now() - t0;
  const { peak } = rss.stop();
  const how = `${(elapsed / 1000).toFixed(1)} s from the first publish to the last stored`;
  await Promise.all(subs.map((s) => s.stop()));
  await bus.close();
  return {
    rate: total / (elapsed / 1000), how, backlog: false, published,
    peakRssMb: peak / 1024 / 1024, rssLabel: 'RSS of the bench process (processor in process)', rssTargetMb: null,
  };
}

/**
 * A processor process (`smarthydro start --roles processor`, see role-process.ts) draining a backlog: the
 * messages are on the raw topic before it starts, as after an outage or when collection outruns it, so what is
 * measured is the pipeline (Kafka, the processor, PostgreSQL) and not the bench publishing beside it (in a
 * deployment the collectors run elsewhere). The rate runs from the processor's first commit to its last, counting
 * what it stored after the first: its steady pace, without the process start and the first fetch.
 */
async function runProcessorProcess(c: Container, messages: OutgoingMessage[], total: number, consumers: number): Promise<IngestRun> {
  let published = 0;
  const proc = await startProcessorProcess(c, consumers, async (bus, topics) => {
    published = await publishAll(bus, topics.raw, messages, performance.now());
  });
  try {
    await proc.storedAtLeast(total);
    const announced = proc.announced();
    // Timed from the first commit after the consumer group settled: its members join one after the other,
    // and each join stops the others for a rebalance (up to a heartbeat, 1 s, before they notice) — the
    // group's start, not the pipeline's pace. Normally it settles before the first commit.
    const settled = proc.groupSettledAt();
    const first = announced.find((a) => settled === null || a.at >= settled.at) ?? announced[0]!;
    const last = announced[announced.length - 1]!;
    const steady = last.stored - first.stored;
    const seconds = (last.at - first.at) / 1000;
    if (steady < total / 3 || seconds <= 0) {
      throw new Error(
        `the processor stored ${first.stored} of ${total} measurements before its group settled and it first committed: too few left to time a pace; give --ingest-readings at least 100000`,
      );
    }
    const after = first === announced[0] ? 'its first commit' : `its first commit after its group settled (${first.stored} stored before)`;
    return {
      rate: steady / seconds,
      how: `${steady} stored in ${seconds.toFixed(1)} s between ${after} and its last (${announced.length} announcements heard)`,
      backlog: true,
      published,
      peakRssMb: proc.peakRssMb() ?? Number.NaN,
      rssLabel: 'RSS of the processor process',
      rssTargetMb: PROCESSOR_RSS_TARGET_MB,
    };
  } finally {
    await proc.stop();
  }
}

async function publishAll(bus: Bus, topic: string, messages: OutgoingMessage[], t0: number): Promise<number> {
  for (let i = 0; i < messages.length; i += 500) await bus.publish(topic, messages.slice(i, i + 500));
  return performance.now() - t0;
}

export async function createBenchPoints(c: Container, n: number): Promise<number[]> {
  const client = await c.db.query<{ id: number }>(`INSERT INTO clients (name, rut) VALUES ('Ingestion bench', '1-9') ON CONFLICT (rut) DO UPDATE SET name = EXCLUDED.name RETURNING id`);
  const project = await c.db.query<{ id: number }>('INSERT INTO projects (client_id, name) VALUES ($1, $2) RETURNING id', [client.rows[0]!.id, `ingest ${Date.now()}`]);
  const tpl = await c.db.query<{ id: number }>(
    `INSERT INTO schema_templates (name, variables_config) VALUES ($1, $2) RETURNING id`,
    [`ingest ${Date.now()}`, JSON.stringify(templateConfig('twin'))],
  );
  const { rows } = await c.db.query<{ id: number }>(
    `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency, level_sensor_position)
     SELECT $1, 'ingest ' || g, true, 'twin', 1, 60 FROM generate_series(1, $2::int) g RETURNING id`,
    [project.rows[0]!.id, n],
  );
  const ids = rows.map((r) => Number(r.id));
  await c.db.query('INSERT INTO dynamic_schemas (point_id, template_id) SELECT unnest($1::bigint[]), $2', [ids, tpl.rows[0]!.id]);
  await c.events.registryChanged();
  return ids;
}
