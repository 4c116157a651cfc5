import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import {
  ADMIN_ACTOR, configureDgaPoint, expectedMeasurement, FakeClock, insertMeasurements, local, wellSeries,
  type DgaPointSettings, type StoredSample, type WellSeries,
} from '../support/dga-fixtures.js';
import { DEFAULT_MIN_SPACING_MS, DgaReporter, type DgaReporterOptions } from '../../src/dga/reporter.service.js';
import { startDgaSimulator, type ReceivedDgaRequest, type RunningDgaSimulator } from '../../src/dga/simulator.js';
import type { SubmissionRow } from '../../src/dga/submission.repository.js';
import { startReporter } from '../../src/roles/reporter.js';

/**
 * The reporter against the DGA simulator over HTTP, with measurements in PGlite. Expected payload
 * values are computed here from the generated series, without the code under test.
 */
const HOUR = 3_600_000;
const TZ = 'Etc/GMT+4';
let t: TestContext;
let sim: RunningDgaSimulator;
let simClock = new FakeClock(Date.parse('2026-06-11T18:07:00Z'));
let codeSeq = 100;

beforeAll(async () => {
  sim = await startDgaSimulator({ clock: { now: () => simClock.now() }, timeZone: TZ });
  t = await createTestContext({ config: { dgaApiUrl: sim.url, reportTimezone: TZ } });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});
afterEach(async () => {
  // Each test owns its points; switch them off so later tests' reporters leave them alone.
  await t.c.db.query('UPDATE catchment_points SET dga_send = false');
  sim.state.faults = { serverErrors: 0, timeouts: 0, timeoutMs: 30_000, authErrorObras: new Set() };
});

function reporter(clock: FakeClock, opts: DgaReporterOptions = {}): DgaReporter {
  return new DgaReporter(
    {
      db: t.c.db,
      secrets: t.c.secrets,
      logger: t.c.logger,
      metrics: t.c.metrics,
      variablesConfig: async (id) => (await t.c.schemas.mergedConfig(id)).merged_config,
      dgaApiUrl: sim.url,
      tz: TZ,
    },
    { clock, minSpacingMs: 10, ...opts },
  );
}

async function dgaPoint(settings: Partial<DgaPointSettings> & { startDate: string }, series: StoredSample[]) {
  const code = `OB-0602-${codeSeq++}`;
  const { points, clientId } = await seedTenant(t, `dga-${code}`, 1);
  const pointId = points[0]!;
  await configureDgaPoint(t.c, pointId, { code, ...settings });
  await insertMeasurements(t.c.db, pointId, series);
  return { pointId, clientId, code };
}

async function rows(pointId: number): Promise<SubmissionRow[]> {
  const r = await t.c.db.query<SubmissionRow>('SELECT * FROM dga_submissions WHERE point_id = $1 ORDER BY slot_at', [pointId]);
  return r.rows;
}

const bodyOf = (r: ReceivedDgaRequest) => r.body as Record<string, any>;
const slotOf = (r: ReceivedDgaRequest) => {
  const m = bodyOf(r).medicionSubterranea ?? bodyOf(r).medicionSuperficialFlujometro;
  return `${m.fechaMedicion} ${m.horaMedicion}`;
};

describe('DGA reporter against the simulator', () => {
  it('sends every due slot oldest first, with every field as computed from the data, and stores the receipts', async () => {
    const clock = new FakeClock(Date.parse('2026-06-11T18:07:00Z'));
    simClock = clock;
    const wellData = wellSeries({ from: new Date('2026-06-11T09:00:00Z'), to: new Date('2026-06-11T18:05:00Z') });
    const surfaceData = wellSeries({ from: new Date('2026-06-11T15:30:00Z'), to: new Date('2026-06-11T18:05:00Z'), startM3: 88.5 });
    const dailyData = wellSeries({ from: new Date('2026-06-10T04:00:00Z'), to: new Date('2026-06-11T18:05:00Z'), startM3: 5000 });
    const well = await dgaPoint({ startDate: '2026-06-11' }, wellData.all);
    const surface = await dgaPoint({ startDate: '2026-06-01', type: 'SUPERFICIAL' }, surfaceData.all);
    const daily = await dgaPoint({ startDate: '2026-06-10', standard: 'MEDIO' }, dailyData.all);

    const calls: number[] = [];
    const timedFetch: typeof fetch = (input, init) => {
      calls.push(performance.now());
      return fetch(input, init);
    };
    const r = reporter(clock, { fetch: timedFetch, minSpacingMs: 60 });
    const result = await r.tick();

    // well: 09:00…18:00 UTC (data starts 09:00, after the start date); surface: 16:00…18:00; daily: 10 and 11 June 00:00 local
    expect(result.planned).toBe(10 + 3 + 2);
    expect(result.outcomes).toEqual(Array(15).fill('sent'));
    expect(result.more).toBe(false);

    // Oldest first across points; at least the configured spacing apart.
    const received = sim.received().filter((x) => [well.code, surface.code, daily.code].includes(x.codigoObra ?? ''));
    const slotTimes = received.map((x) => {
      const { fechaMedicion, horaMedicion } = bodyOf(x).medicionSubterranea ?? bodyOf(x).medicionSuperficialFlujometro;
      return Date.parse(`${fechaMedicion}T${horaMedicion}-04:00`);
    });
    expect(slotTimes).toEqual([...slotTimes].sort((a, b) => a - b));
    for (let i = 1; i < calls.length; i++) expect(calls[i]! - calls[i - 1]!).toBeGreaterThanOrEqual(59);

    const auth = { password: 'demo', rutEmpresa: '77555666-8', rutUsuario: '20999888-2' };
    const sentAt = local(clock.now().getTime());
    const check = async (
      p: { pointId: number; code: string },
      data: WellSeries,
      slots: number[],
      windowMs: number,
      type: 'SUBTERRANEO' | 'SUPERFICIAL',
    ) => {
      const got = sim.received(p.code);
      expect(got.map(slotOf)).toEqual(slots.map((s) => `${local(s).fecha} ${local(s).hora}`));
      const stored = await rows(p.pointId);
      expect(stored).toHaveLength(slots.length);
      for (const [i, slot] of slots.entries()) {
        const req = got[i]!;
        expect(req.path).toBe(type === 'SUBTERRANEO' ? '/mediciones/subterraneas' : '/mediciones/superficiales/flujometro');
        expect(req.headers['content-type']).toBe('application/json');
        expect(req.headers['codigoobra']).toBe(p.code);
        expect(req.headers['timestamporigen']).toBe(`${sentAt.fecha}T${sentAt.hora}-0000`);
        const measurement = expectedMeasurement(data, slot, windowMs, type === 'SUBTERRANEO');
        expect(req.body).toEqual(
          type === 'SUBTERRANEO'
            ? { autenticacion: auth, medicionSubterranea: measurement }
            : { autenticacion: auth, medicionSuperficialFlujometro: measurement },
        );
        expect(req.response?.statusCode).toBe(200);
        const row = stored[i]!;
        expect(row.slot_at.getTime()).toBe(slot);
        expect(row).toMatchObject({ status: 'sent', attempts: 1, duplicate: false, last_http_status: 200, error_code: null });
        expect(row.receipt).toBe(req.response?.body.data?.numeroComprobante);
        expect(row.sent_at?.getTime()).toBe(clock.now().getTime());
        // What was sent is kept, with the password masked.
        expect((row.payload as any).body.autenticacion).toEqual({ ...auth, password: '***' });
        expect((row.payload as any).body).toEqual({ ...(req.body as object), autenticacion: { ...auth, password: '***' } });
      }
    };
    const hourly = (from: string, n: number) => Array.from({ length: n }, (_, i) => Date.parse(from) + i * HOUR);
    await check(well, wellData, hourly('2026-06-11T09:00:00Z', 10), HOUR, 'SUBTERRANEO');
    await check(surface, surfaceData, hourly('2026-06-11T16:00:00Z', 3), HOUR, 'SUPERFICIAL');
    await check(daily, dailyData, [Date.parse('2026-06-10T04:00:00Z'), Date.parse('2026-06-11T04:00:00Z')], 24 * HOUR, 'SUBTERRANEO');

    // The first well slot has a single totalizer reading in its window: its caudal is the mean flow.
    const first = (await rows(well.pointId))[0]!;
    expect((first.reading as any).caudal_source).toBe('flow');
    expect(((await rows(well.pointId))[5]!.reading as any).caudal_source).toBe('totalizer');

    // The plain password is nowhere in the database.
    const dump = await t.c.db.query<{ j: string }>('SELECT row_to_json(s)::text AS j FROM dga_submissions s');
    expect(dump.rows.map((x) => x.j).join('\n')).not.toMatch(/"password":\s*"demo"/);
  });

  it('never sends a slot again after a receipt, across a restart, and spaces requests 1 s apart by default', async () => {
    expect(DEFAULT_MIN_SPACING_MS).toBe(1000);
    const clock = new FakeClock(Date.parse('2026-06-12T12:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-12T09:00:00Z'), to: new Date('2026-06-12T12:05:00Z') });
    const p = await dgaPoint({ startDate: '2026-06-12' }, data.all);
    const first = await reporter(clock).tick();
    expect(first.outcomes).toEqual(['sent', 'sent', 'sent', 'sent']);
    const receipts = (await rows(p.pointId)).map((r) => r.receipt);

    // A new process on the same database: nothing to send, even with every slot due and the data there.
    const again = reporter(clock, { minSpacingMs: undefined });
    clock.advance(30 * 60_000);
    expect((await again.tick()).outcomes).toEqual([]);
    expect(sim.received(p.code)).toHaveLength(4);

    // The next hour: exactly the new slot, 1 s after the previous request at the earliest.
    const more = wellSeries({ from: new Date('2026-06-12T12:10:00Z'), to: new Date('2026-06-12T14:05:00Z'), startM3: data.totalizer.at(-1)!.value });
    await insertMeasurements(t.c.db, p.pointId, more.all);
    clock.set('2026-06-12T14:06:00Z');
    const started = performance.now();
    expect((await again.tick()).outcomes).toEqual(['sent', 'sent']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    const got = sim.received(p.code);
    expect(got).toHaveLength(6);
    expect(new Set(got.map(slotOf)).size).toBe(6);
    expect((await rows(p.pointId)).slice(0, 4).map((r) => r.receipt)).toEqual(receipts);
  });

  it('stores the receipt DGA quotes in its duplicate answer, also for a send interrupted by a crash', async () => {
    const clock = new FakeClock(Date.parse('2026-06-13T12:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-13T10:00:00Z'), to: new Date('2026-06-13T12:05:00Z') });
    const p = await dgaPoint({ startDate: '2026-06-13' }, data.all);
    // DGA already holds 10:00 UTC (06:00 local), e.g. sent by the previous system.
    const earlier = sim.state.accept(p.code, '2026-06-13', '06:00:00');
    // A reporter crashed while sending 11:00 UTC: its row is stuck in 'sending' under a lease that ran out,
    // and DGA did receive it.
    const r = reporter(clock);
    await r.planAll();
    const lost = sim.state.accept(p.code, '2026-06-13', '07:00:00');
    await t.c.db.query(
      `UPDATE dga_submissions SET status = 'sending', lease_token = 'dead', leased_by = 'crashed', lease_until = $2, attempts = 1
       WHERE point_id = $1 AND slot_at = '2026-06-13T11:00:00Z'`,
      [p.pointId, new Date(clock.now().getTime() - 1000)],
    );
    const result = await r.tick();
    expect(result.outcomes).toEqual(['duplicate', 'duplicate', 'sent']);
    const stored = await rows(p.pointId);
    expect(stored.map((x) => [x.status, x.duplicate, x.last_http_status])).toEqual([
      ['sent', true, 400],
      ['sent', true, 400],
      ['sent', false, 200],
    ]);
    expect(stored[0]!.receipt).toBe(earlier);
    expect(stored[1]!.receipt).toBe(lost);
    expect(stored[1]!.attempts).toBe(2);
    expect(stored[0]!.last_response).toContain('Ya existe un registro');
  });

  it('puts a point on hold when DGA says the user is not its informante, without retrying, until the operator fixes it', async () => {
    const clock = new FakeClock(Date.parse('2026-06-14T12:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-14T10:00:00Z'), to: new Date('2026-06-14T12:05:00Z') });
    const p = await dgaPoint({ startDate: '2026-06-14' }, data.all);
    sim.state.registerInformante(p.code, { rutUsuario: '11111111-1', password: 'secret-pw' });
    const r = reporter(clock);

    expect((await r.tick()).outcomes).toEqual(['needs_attention']);
    let stored = await rows(p.pointId);
    expect(stored[0]).toMatchObject({ status: 'needs_attention', error_code: 'DGA_INFORMANTE_MISMATCH', next_attempt_at: null, last_http_status: 400 });
    expect(stored[0]!.error_message).toContain('Usuario no es el informante registrado en la Obra');
    expect(stored.slice(1).map((x) => x.status)).toEqual(['pending', 'pending']);

    // Days pass: no retry loop, and the point's other slots are not sent with the same credentials.
    for (let i = 0; i < 3; i++) {
      clock.advance(12 * HOUR);
      expect((await r.tick()).outcomes).toEqual([]);
    }
    expect(sim.received(p.code)).toHaveLength(1);
    const status = await t.c.dga.statusSummary(ADMIN_ACTOR);
    expect(status.needs_attention.map((x) => x.id)).toContain(stored[0]!.id);

    // The operator enters the right informante: the waiting slots go; the refused one waits for a retry.
    await t.c.points.update(ADMIN_ACTOR, p.pointId, { dga_informant_rut: '11111111-1', dga_password: 'secret-pw' });
    expect((await r.tick()).outcomes).toEqual(['sent', 'sent']);
    await t.c.dga.retry(ADMIN_ACTOR, stored[0]!.id);
    expect((await r.tick()).outcomes).toEqual(['sent']);
    stored = await rows(p.pointId);
    expect(stored.map((x) => x.status)).toEqual(['sent', 'sent', 'sent']);
    expect(stored[0]!.attempts).toBe(2);
    const accepted = sim.received(p.code).filter((x) => x.response?.statusCode === 200);
    expect(accepted.map(slotOf)).toEqual(['2026-06-14 07:00:00', '2026-06-14 08:00:00', '2026-06-14 06:00:00']);
  });

  it('retries a 500 and a timeout with backoff and then succeeds', async () => {
    const clock = new FakeClock(Date.parse('2026-06-15T13:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-15T12:10:00Z'), to: new Date('2026-06-15T13:05:00Z') });
    const p = await dgaPoint({ startDate: '2026-06-15' }, data.all);
    sim.state.faults.serverErrors = 1;
    const r = reporter(clock, { requestTimeoutMs: 300 });

    expect((await r.tick()).outcomes).toEqual(['retryable']);
    let [row] = await rows(p.pointId);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, error_code: 'DGA_UNAVAILABLE', last_http_status: 500 });
    expect(row!.next_attempt_at?.getTime()).toBe(clock.now().getTime() + 60_000);

    clock.advance(30_000);
    expect((await r.tick()).outcomes).toEqual([]);
    clock.advance(31_000);
    sim.state.faults.timeouts = 1;
    sim.state.faults.timeoutMs = 5_000;
    expect((await r.tick()).outcomes).toEqual(['retryable']);
    [row] = await rows(p.pointId);
    expect(row).toMatchObject({ status: 'failed', attempts: 2, error_code: 'DGA_TIMEOUT' });
    // Second failure: twice the wait.
    expect(row!.next_attempt_at?.getTime()).toBe(clock.now().getTime() + 120_000);

    clock.advance(121_000);
    expect((await r.tick()).outcomes).toEqual(['sent']);
    [row] = await rows(p.pointId);
    expect(row).toMatchObject({ status: 'sent', attempts: 3, error_code: null, last_http_status: 200 });
    // The timed-out request is answered (504) only after the reporter gave up on it.
    const codes = sim.received(p.code).map((x) => x.response?.statusCode ?? null);
    expect(codes).toHaveLength(3);
    expect([codes[0], codes[2]]).toEqual([500, 200]);
  });

  it('retries a rejected reading at most once a day', async () => {
    const clock = new FakeClock(Date.parse('2026-06-16T13:07:00Z'));
    // DGA's clock is two hours behind: it rejects the reading as being in the future.
    simClock = new FakeClock(clock.now().getTime() - 2 * HOUR);
    const data = wellSeries({ from: new Date('2026-06-16T12:10:00Z'), to: new Date('2026-06-16T13:05:00Z') });
    const p = await dgaPoint({ startDate: '2026-06-16' }, data.all);
    const r = reporter(clock);
    expect((await r.tick()).outcomes).toEqual(['rejected']);
    let [row] = await rows(p.pointId);
    expect(row).toMatchObject({ status: 'failed', error_code: 'DGA_REJECTED', last_http_status: 400 });
    expect(row!.error_message).toContain('futuro');
    expect(row!.next_attempt_at?.getTime()).toBe(clock.now().getTime() + 24 * HOUR);

    clock.advance(23 * HOUR);
    expect((await r.tick()).outcomes).toEqual([]);
    simClock = clock;
    clock.advance(HOUR + 1000);
    expect((await r.tick()).outcomes).toEqual(['sent']);
    [row] = await rows(p.pointId);
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('does not send a slot without data; waits for late data, gives up past the back-fill limit, and can be retried', async () => {
    const clock = new FakeClock(Date.parse('2026-06-17T15:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-17T10:00:00Z'), to: new Date('2026-06-17T15:05:00Z') });
    // The level sensor was silent from 12:00 to 14:30 UTC: the 14:00 slot has no water table.
    const inHole = (s: StoredSample) => s.ts >= new Date('2026-06-17T12:00:00Z') && s.ts <= new Date('2026-06-17T14:30:00Z');
    const hole = data.level.filter(inHole);
    const p = await dgaPoint({ startDate: '2026-06-17' }, data.all.filter((s) => !(s.variable === 'nivel' && inHole(s))));
    const r = reporter(clock);
    const first = await r.tick();
    expect(first.outcomes.filter((o) => o === 'sent')).toHaveLength(5);
    expect(first.outcomes.filter((o) => o === 'data_missing')).toHaveLength(1);
    let stored = await rows(p.pointId);
    const gap = stored.find((x) => x.slot_at.toISOString() === '2026-06-17T14:00:00.000Z')!;
    expect(gap).toMatchObject({ status: 'pending', attempts: 0, error_code: 'DGA_DATA_MISSING', receipt: null });
    expect(gap.error_message).toContain('nivelFreaticoDelPozo');
    expect(gap.next_attempt_at?.getTime()).toBe(clock.now().getTime() + 15 * 60_000);
    expect(sim.received(p.code).map(slotOf)).not.toContain('2026-06-17 10:00:00');

    // A week later the data still has not come: the slot is given up (no automatic retry) …
    clock.set('2026-06-24T14:05:00Z');
    expect((await r.tick()).outcomes).toEqual(['data_missing']);
    stored = await rows(p.pointId);
    expect(stored.find((x) => x.id === gap.id)).toMatchObject({ status: 'failed', next_attempt_at: null, error_code: 'DGA_DATA_MISSING' });
    // … until the data is recovered and an operator retries it.
    await insertMeasurements(t.c.db, p.pointId, hole);
    await t.c.dga.retry(ADMIN_ACTOR, gap.id);
    expect((await r.tick()).outcomes).toEqual(['sent']);
    const last = sim.received(p.code).at(-1)!;
    expect(bodyOf(last).medicionSubterranea).toEqual(expectedMeasurement(data, Date.parse('2026-06-17T14:00:00Z'), HOUR, true));
  });

  it('leaves out readings the processor flagged as spikes', async () => {
    const clock = new FakeClock(Date.parse('2026-06-19T13:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-19T12:00:00Z'), to: new Date('2026-06-19T13:05:00Z') });
    const isSpike = (s: StoredSample) => s.variable === 'totalizador' && s.ts.toISOString() === '2026-06-19T13:00:00.000Z';
    const stored = data.all.map((s) => (isSpike(s) ? { ...s, value: 4_294_967_295, flags: ['spike'] } : s));
    const p = await dgaPoint({ startDate: '2026-06-19' }, stored);
    expect((await reporter(clock).tick()).outcomes).toEqual(['sent', 'sent']);
    const clean = { ...data, totalizer: data.totalizer.filter((s) => !isSpike(s)) };
    const last = sim.received(p.code).at(-1)!;
    expect(bodyOf(last).medicionSubterranea).toEqual(expectedMeasurement(clean, Date.parse('2026-06-19T13:00:00Z'), HOUR, true));
    expect(Number(bodyOf(last).medicionSubterranea.totalizador)).toBeLessThan(2_000_000);
  });

  it('two reporters sharing the database never send a slot twice', async () => {
    const clock = new FakeClock(Date.parse('2026-06-18T20:07:00Z'));
    simClock = clock;
    const data = wellSeries({ from: new Date('2026-06-18T04:00:00Z'), to: new Date('2026-06-18T20:05:00Z') });
    const p = await dgaPoint({ startDate: '2026-06-18' }, data.all);
    const a = reporter(clock, { owner: 'a' });
    const b = reporter(clock, { owner: 'b' });
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect([...ra.outcomes, ...rb.outcomes]).toEqual(Array(17).fill('sent'));
    expect(ra.outcomes.length).toBeGreaterThan(0);
    expect(rb.outcomes.length).toBeGreaterThan(0);
    const got = sim.received(p.code);
    expect(got).toHaveLength(17);
    expect(new Set(got.map(slotOf)).size).toBe(17);
    expect(got.every((x) => x.response?.statusCode === 200)).toBe(true);
    const [again1, again2] = await Promise.all([a.tick(), b.tick()]);
    expect([...again1.outcomes, ...again2.outcomes]).toEqual([]);
  });

  it('runs as a role: starts sending at once and stops cleanly', async () => {
    simClock = new FakeClock(Date.now());
    const now = Date.now();
    const hourStart = Math.floor(now / HOUR) * HOUR;
    const data = wellSeries({ from: new Date(hourStart - 2 * HOUR), to: new Date(now) });
    const day = local(hourStart - 2 * HOUR).fecha;
    const p = await dgaPoint({ startDate: day }, data.all);
    const role = await startReporter(t.c, { minSpacingMs: 10, intervalMs: 60_000 });
    try {
      for (let i = 0; i < 100 && (await rows(p.pointId)).filter((x) => x.status === 'sent').length < 3; i++) {
        await new Promise((res) => setTimeout(res, 50));
      }
      expect((await rows(p.pointId)).map((x) => x.status)).toEqual(['sent', 'sent', 'sent']);
    } finally {
      await role.stop();
    }
    expect(role.name).toBe('reporter');
  });
});
