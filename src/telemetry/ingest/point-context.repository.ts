import type { Db } from '../../infra/db/index.js';

/** What the processor needs to know of a point besides its variables. */
export interface ProcessingPoint {
  id: number;
  is_telemetry_active: boolean;
  provider: string | null;
  level_sensor_position: number | null;
  initial_meter_reading: number | null;
}

/** SQL of the processor's point look-up. */
export class PointContextRepository {
  constructor(private readonly db: Db) {}

  async load(ids: number[]): Promise<Map<number, ProcessingPoint>> {
    if (ids.length === 0) return new Map();
    // The template's well defaults (spike limit) come with the point's variables (SchemaService.variables).
    const { rows } = await this.db.query<ProcessingPoint>(
      `SELECT p.id, p.is_telemetry_active, p.provider, p.level_sensor_position, p.initial_meter_reading
       FROM catchment_points p WHERE p.id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(rows.map((r) => [Number(r.id), { ...r, id: Number(r.id) }]));
  }
}
