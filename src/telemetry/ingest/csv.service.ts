import type { Bus, BusNames } from '../../infra/bus/index.js';
import type { Clock } from '../../lib/clock.js';
import { isValidTimeZone } from '../../lib/timezone.js';
import { type Principal, requireStaff } from '../../auth/principal.js';
import { ValidationError } from '../../errors.js';
import type { PointService } from '../../registry/point.service.js';
import type { SchemaService } from '../../registry/schema.service.js';
import { encodeRawBatches } from './raw-message.js';
import { CsvHeaderError, importCsv, type CsvImportResult, type ImportCsvOptions, type RawReading } from './csv.import.js';

export const DEFAULT_CSV_TIMEZONE = 'America/Santiago';

export interface CsvImportRequest {
  timezone?: string;
  onReject?: ImportCsvOptions['onReject'];
  onProgress?: ImportCsvOptions['onProgress'];
  progressEvery?: number;
  keepRejects?: number;
}

/**
 * CSV back-fill of one point: the readings go on the raw topic as 'push' batches, each awaited until
 * the bus accepted it, so the processor applies every rule (and deduplicates on point, variable, ts).
 */
export class CsvImportService {
  constructor(
    private readonly deps: { points: PointService; schemas: SchemaService; bus: Bus; topics: BusNames; clock: Clock },
  ) {}

  /** Staff only; 404 for an unknown point; ValidationError for a bad time zone or an unusable header. */
  async import(actor: Principal, pointId: number, source: AsyncIterable<Buffer | string>, req: CsvImportRequest = {}): Promise<CsvImportResult> {
    requireStaff(actor);
    const timezone = req.timezone ?? DEFAULT_CSV_TIMEZONE;
    if (!isValidTimeZone(timezone)) throw new ValidationError(`timezone "${timezone}" is not an IANA time zone (e.g. America/Santiago, UTC)`, 'timezone');
    await this.deps.points.get(actor, pointId);
    // The point's variables as the processor reads them: a line accepted here is never an unknown variable there.
    const variables = new Set((await this.deps.schemas.variables(pointId)).byKey.keys());
    const publish = (readings: RawReading[]) =>
      this.deps.bus.publish(
        this.deps.topics.raw,
        encodeRawBatches({ point_id: pointId, provider: 'push', collected_at: this.deps.clock.now().toISOString() }, readings),
      );
    try {
      return await importCsv(source, { ...req, variables, timezone, publish });
    } catch (err) {
      if (err instanceof CsvHeaderError) throw new ValidationError(`CSV header: ${err.message}`, 'header');
      throw err;
    }
  }
}
