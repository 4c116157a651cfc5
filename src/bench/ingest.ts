import { randomBytes } from 'node:crypto';
import type { Container } from '../container.js';
import { escapeCopyText } from '../infra/db/index.js';
import { createBus } from '../infra/bus/index.js';
import { encodeRawBatches, MAX_READINGS_PER_MESSAGE } from '../telemetry/raw-message.js';
import { PROCESSOR_BATCH } from '../roles/processor.js';
import { templateConfig } from '../demo/seed.js';
import { result, type BenchResult } from './stats.js';

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

  // A topic and group of its own, so no earlier run's messages or offsets are involved.
  const bus = createBus({ kafkaBrokers: c.config.kafkaBrokers, clientId: 'smarthydro-bench', logger: c.logger });
  const topic = `bench.raw.${randomBytes(4).toString('hex')}`;
  let stored = 0;
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const subs = await Promise.all(
    Array.from({ length: opts.consumers ?? 2 }, () =>
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
  for (let i = 0; i < messages.length; i += 500) await bus.publish(topic, messages.slice(i, i + 500));
  const published = performance.now() - t0;
  await finished;
  const elapsed = performance.now() - t0;
  clearInterval(rssTimer);
  await Promise.all(subs.map((s) => s.stop()));
  await bus.close();
  const rate = total / (elapsed / 1000);
  progress(`ingestion: ${total} measurements in ${(elapsed / 1000).toFixed(1)} s (published in ${(published / 1000).toFixed(1)} s); bare COPY …`);

  // Baseline: the same rows, already processed, with COPY into the same (emptied) table.
  const { rows } = await c.db.query<Record<string, unknown>>(
    `SELECT point_id, variable, ts, value_numeric, value_text, value_boolean, raw_value, quality_score, quality_flags, provider, processing_config
     FROM measurements WHERE point_id = ANY($1::bigint[])`,
    [points],
  );
  await c.db.query('DELETE FROM measurements WHERE point_id = ANY($1::bigint[])', [points]);
  const columns = ['point_id', 'variable', 'ts', 'value_numeric', 'value_text', 'value_boolean', 'raw_value', 'quality_score', 'quality_flags', 'provider', 'processing_config'];
  const lines = rows.map((r) => columns.map((col) => escapeCopyText(col === 'quality_flags' ? `{${(r[col] as string[]).join(',')}}` : r[col])).join('\t') + '\n');
  const c0 = performance.now();
  await c.db.copyFrom('measurements', columns, lines);
  const copyRate = lines.length / ((performance.now() - c0) / 1000);

  const where = `${c.db.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} + ${c.config.kafkaBrokers ? 'Kafka' : 'in-process bus'}`;
  return [
    result(`ingestion rate (${where}, ${perMessage} readings per message)`, rate, 'measurements/s', c.db.kind === 'postgres' && c.config.kafkaBrokers ? 50_000 : null, copyRate, 'higher'),
    result(`bare COPY of the same rows (${where.split(' +')[0]}, ${perMessage} per message run)`, copyRate, 'rows/s', null, null, 'higher'),
    result(`process RSS during ingestion, peak (${perMessage} readings per message)`, peakRss / 1024 / 1024, 'MB', null, null),
  ];
}

async function createBenchPoints(c: Container, n: number): Promise<number[]> {
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
