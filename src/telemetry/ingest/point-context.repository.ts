import type { Db } from '../../infra/db/index.js';

/** What the processor needs to know of a point besides its variables. */
export interface ProcessingPoint {
  id: number;
  is_telemetry_active: boolean;
  provider: string | null;
  level_sensor_position: number | null;
  /** The template's `well_defaults.max_m3_per_hour`; null without a template or that default. */
  max_m3_per_hour: number | null;
  initial_meter_reading: number | null;
}

/** SQL of the processor's point look-up. */
export class PointContextRepository {
  constructor(private readonly db: Db) {}

  async load(ids: number[]): Promise<Map<number, ProcessingPoint>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.db.query<Omit<ProcessingPoint, 'max_m3_per_hour'> & { well_defaults: { max_m3_per_hour?: number } | null }>(
      `SELECT p.id, p.is_telemetry_active, p.provider, p.level_sensor_position, p.initial_meter_reading,
              t.well_defaults
       FROM catchment_points p
       LEFT JOIN dynamic_schemas s ON s.point_id = p.id
       LEFT JOIN schema_templates t ON t.id = s.template_id
       WHERE p.id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(
      rows.map(({ well_defaults, ...r }) => [Number(r.id), { ...r, id: Number(r.id), max_m3_per_hour: well_defaults?.max_m3_per_hour ?? null }]),
    );
  }
}
