/**
 * DGA test data: realistic well series (flow, totalizer, water table) written straight into the
 * measurements table as the processor would store them (flow L/s, continuous totalizer m³, nivel
 * freático m), and points configured for DGA reporting.
 */
import type { Container } from '../../src/container.js';
import type { Queryable } from '../../src/infra/db/index.js';
import type { Principal } from '../../src/auth/principal.js';

const HOUR = 3_600_000;

export const ADMIN_ACTOR: Principal = { userId: 1, role: 'admin', clientId: null };

export interface StoredSample {
  variable: string;
  ts: Date;
  value: number;
  flags?: string[];
  /**
   * The meter's own reading of a totalizer sample; defaults to `value` for the `totalizador` series
   * (these series have no initial reading and no reset offsets), null for the others.
   */
  meter?: number | null;
}

/** Inserts samples for one point, creating the monthly partitions they need first. */
export async function insertMeasurements(db: Queryable, pointId: number, samples: readonly StoredSample[]): Promise<void> {
  const months = new Set(samples.map((s) => s.ts.toISOString().slice(0, 7)));
  for (const m of months) await db.query('SELECT sh_ensure_measurement_partition($1)', [`${m}-01T00:00:00Z`]);
  for (let i = 0; i < samples.length; i += 500) {
    const chunk = samples.slice(i, i + 500);
    const params: unknown[] = [];
    const values = chunk.map((s) => {
      const meter = s.meter !== undefined ? s.meter : s.variable === 'totalizador' ? s.value : null;
      params.push(pointId, s.variable, s.ts, s.value, meter, s.flags ?? []);
      const n = params.length;
      return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}::float8, $${n}::text[], 'twin')`;
    });
    await db.query(
      `INSERT INTO measurements (point_id, variable, ts, value_numeric, meter_value, quality_flags, provider) VALUES ${values.join(', ')}
       ON CONFLICT DO NOTHING`,
      params,
    );
  }
}

export interface WellSeries {
  flow: StoredSample[];
  totalizer: StoredSample[];
  level: StoredSample[];
  all: StoredSample[];
}

/**
 * A pumping well sampled every `stepMs` in [from, to]: flow around 12–18 L/s with the pump resting one
 * hour in six, the totalizer integrating that flow from `startM3` (3 decimals, like a meter in litres),
 * and the water table drawing down while pumping (3 decimals).
 */
export function wellSeries(opts: {
  from: Date;
  to: Date;
  stepMs?: number;
  startM3?: number;
  variables?: { flow: string; totalizer: string; level: string };
}): WellSeries {
  const step = opts.stepMs ?? 5 * 60_000;
  const names = opts.variables ?? { flow: 'caudal', totalizer: 'totalizador', level: 'nivel' };
  const out: WellSeries = { flow: [], totalizer: [], level: [], all: [] };
  let total = opts.startM3 ?? 1_234_567.891;
  let previousFlow = 0;
  let i = 0;
  for (let t = opts.from.getTime(); t <= opts.to.getTime(); t += step, i++) {
    const ts = new Date(t);
    const hour = ts.getUTCHours();
    const pumping = hour % 6 !== 5;
    const flow = pumping ? Math.round((15 + 2.5 * Math.sin(i / 7) + ((i * 37) % 11) / 10) * 100) / 100 : 0;
    if (i > 0) total = Math.round((total + (previousFlow * step) / 1_000_000) * 1000) / 1000;
    const level = Math.round((22 + (pumping ? 3.2 : 0.4) + 0.35 * Math.sin(i / 29)) * 1000) / 1000;
    previousFlow = flow;
    out.flow.push({ variable: names.flow, ts, value: flow });
    out.totalizer.push({ variable: names.totalizer, ts, value: total });
    out.level.push({ variable: names.level, ts, value: level });
  }
  out.all = [...out.flow, ...out.totalizer, ...out.level];
  return out;
}

export const WELL_VARIABLES = {
  caudal: { label: 'Caudal', kind: 'flow', unit: 'L/s', channel: 'caudal' },
  totalizador: { label: 'Totalizador', kind: 'totalizer', unit: 'm3', channel: 'totalizador' },
  nivel: { label: 'Nivel freático', kind: 'level', unit: 'm', channel: 'nivel' },
};

export interface DgaPointSettings {
  standard?: 'MAYOR' | 'MEDIO' | 'MENOR' | 'CAUDALES_MUY_PEQUENOS';
  type?: 'SUBTERRANEO' | 'SUPERFICIAL';
  code: string;
  informantRut?: string;
  password?: string;
  companyRut?: string;
  startDate: string;
}

/** Switches DGA reporting on for a point and gives it the flow / totalizer / level variables. */
export async function configureDgaPoint(c: Container, pointId: number, s: DgaPointSettings): Promise<void> {
  await c.points.update(ADMIN_ACTOR, pointId, {
    dga_send: true,
    dga_standard: s.standard ?? 'MAYOR',
    dga_type: s.type ?? 'SUBTERRANEO',
    dga_code: s.code,
    dga_informant_rut: s.informantRut ?? '20999888-2',
    dga_password: s.password ?? 'demo',
    dga_company_rut: s.companyRut ?? '77555666-8',
    dga_start_date: s.startDate,
  });
  await c.schemas.setPointSchema(ADMIN_ACTOR, pointId, { custom_config: WELL_VARIABLES });
}

/** Local wall-clock (UTC−4) date and time of an instant, computed without the code under test. */
export function local(ms: number): { fecha: string; hora: string } {
  const iso = new Date(ms - 4 * HOUR).toISOString();
  return { fecha: iso.slice(0, 10), hora: iso.slice(11, 19) };
}

export const fix2 = (x: number) => (Math.round(Number((x * 100).toPrecision(12))) / 100).toFixed(2);

/** The DGA body a slot must carry, from the raw series: see SPEC §8 and slots.ts for the window. */
export function expectedMeasurement(s: WellSeries, slot: number, windowMs: number, withLevel: boolean) {
  const n = expectedNumbers(s, slot, windowMs);
  const { fecha, hora } = local(slot);
  const m: Record<string, string> = {
    caudal: fix2(n.caudal),
    fechaMedicion: fecha,
    horaMedicion: hora,
    totalizador: String(Math.floor(n.totalizer)),
  };
  if (withLevel) m.nivelFreaticoDelPozo = fix2(n.level!);
  return m;
}

/** The unrounded caudal (L/s), totalizer (m³) and level (m) a slot reports, from the raw series. */
export function expectedNumbers(s: WellSeries, slot: number, windowMs: number): { caudal: number; totalizer: number; level: number | null } {
  const from = slot - windowMs;
  const atOrBefore = (xs: StoredSample[], at: number) => [...xs].reverse().find((x) => x.ts.getTime() <= at);
  const start = atOrBefore(s.totalizer, from) ?? s.totalizer.find((x) => x.ts.getTime() > from);
  const end = atOrBefore(s.totalizer, slot)!;
  let caudal: number;
  if (start && end.ts.getTime() > start.ts.getTime()) {
    caudal = ((end.value - start.value) * 1000) / ((end.ts.getTime() - start.ts.getTime()) / 1000);
  } else {
    const inside = s.flow.filter((x) => x.ts.getTime() > from && x.ts.getTime() <= slot);
    caudal = inside.reduce((a, x) => a + x.value, 0) / inside.length;
  }
  return { caudal, totalizer: end.value, level: atOrBefore(s.level, slot)?.value ?? null };
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  set(d: Date | string): void {
    this.t = new Date(d).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * Makes recording a receipt for `pointId` fail the next `times` times (a trigger on dga_submissions; the
 * count is a sequence, which a failed statement does not roll back). PGlite and PostgreSQL alike.
 */
export async function failReceiptWrites(db: Queryable, pointId: number, times: number): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS test_receipt_faults (point_id bigint PRIMARY KEY, seq text NOT NULL, times int NOT NULL)`);
  await db.query(`CREATE OR REPLACE FUNCTION test_fail_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f record;
    BEGIN
      SELECT seq, times INTO f FROM test_receipt_faults WHERE point_id = NEW.point_id;
      IF FOUND AND NEW.receipt IS NOT NULL AND OLD.receipt IS NULL AND nextval(f.seq::regclass) <= f.times THEN
        RAISE EXCEPTION 'forced failure recording the receipt of point %', NEW.point_id;
      END IF;
      RETURN NEW;
    END $$`);
  await db.query('DROP TRIGGER IF EXISTS test_fail_receipt ON dga_submissions');
  await db.query('CREATE TRIGGER test_fail_receipt BEFORE UPDATE ON dga_submissions FOR EACH ROW EXECUTE FUNCTION test_fail_receipt()');
  const seq = `test_receipt_fault_${pointId}`;
  await db.query(`DROP SEQUENCE IF EXISTS ${seq}`);
  await db.query(`CREATE SEQUENCE ${seq}`);
  await db.query(
    `INSERT INTO test_receipt_faults (point_id, seq, times) VALUES ($1, $2, $3)
     ON CONFLICT (point_id) DO UPDATE SET seq = EXCLUDED.seq, times = EXCLUDED.times`,
    [pointId, seq, times],
  );
}
