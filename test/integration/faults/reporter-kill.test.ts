import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { buildContainer, type Container } from '../../../src/container.js';
import { startDgaSimulator, type RunningDgaSimulator } from '../../../src/dga/simulator.js';
import { configureDgaPoint, insertMeasurements, wellSeries } from '../../support/dga-fixtures.js';
import { SECRET_KEY } from '../support.js';
import { FaultWorld, report, sleep, waitFor } from './harness.js';

/**
 * The DGA reporter SIGKILLed while it sends a backlog of slots, and two started in its place: no slot that DGA receipted is
 * requested again, every receipt DGA gave is the one stored, and the rest is sent by the new reporter.
 * (A slot DGA answered while the reporter died before recording it stays leased for 5 minutes and is then sent
 * again — DGA's MEE API has no way to look a receipt up — and DGA's "Ya existe … Comprobante" answer stores it.)
 */
const TZ = 'Etc/GMT+4';
const POINTS = 2;
let sim: RunningDgaSimulator;
let world: FaultWorld | undefined;
let c: Container | undefined;

beforeAll(async () => {
  sim = await startDgaSimulator({ timeZone: TZ });
});

afterAll(async () => {
  await c?.close();
  await world?.close();
  await sim?.close();
});

describe('DGA reporter SIGKILL mid-backlog', () => {
  it('two reporters taking over send no receipted slot again; every receipt stored is the one DGA gave', async () => {
    const w = (world = await FaultWorld.create({
      simulatorUrl: 'http://127.0.0.1:1', frozen: new Date(), hours: 0, perProvider: 0,
      env: { DGA_API_URL: sim.url, DGA_TIMEZONE: TZ, DGA_MIN_SPACING_MS: '1000' },
    }));
    c = await buildContainer(loadConfig({ ...w.env, SECRET_KEY, LOG_LEVEL: 'silent' }), { migrate: false });
    const now = Date.now();
    const from = new Date(Math.floor((now - 14 * 3_600_000) / 3_600_000) * 3_600_000);
    const startDate = new Date(from.getTime() - 4 * 3_600_000).toISOString().slice(0, 10); // local (UTC−4) date of the first reading
    const codes: string[] = [];
    for (let i = 0; i < POINTS; i++) {
      const p = await w.client.query(
        `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency, latitude, longitude)
         VALUES (1, $1, true, 'twin', 5, -33.45, -70.66) RETURNING id`,
        [`dga well ${i}`],
      );
      const pointId = Number(p.rows[0].id);
      const code = `OB-0${600 + i}-1`;
      codes.push(code);
      await configureDgaPoint(c, pointId, { code, startDate });
      await insertMeasurements(c.db, pointId, wellSeries({ from, to: new Date(now - 60_000), startM3: 1000 * (i + 1) }).all);
    }
    const sent = async () => Number((await w.client.query("SELECT count(*) AS n FROM dga_submissions WHERE status = 'sent'")).rows[0].n);
    let reporter = w.start('reporter');
    await waitFor('some slots sent', async () => (await sent()) >= 6, 90_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${w.tails()}`);
    });
    await w.kill(reporter);
    const atKill = await sent();
    // Two reporters take over at once (two of the role): they share the backlog, neither sends a slot the other did.
    reporter = w.start('reporter');
    const second = w.start('reporter');
    const restarted = Date.now();
    await waitFor('slots sent again', async () => (await sent()) > atKill, 60_000, 200);
    const recoverySeconds = (Date.now() - restarted) / 1000;
    // Until nothing more is sent for 5 s: the backlog is done (a row the killed reporter held stays leased).
    let last = -1;
    await waitFor('the backlog sent', async () => {
      const n = await sent();
      const done = n === last;
      last = n;
      return done;
    }, 180_000, 5000);
    await sleep(1000);

    const requests = sim.received().filter((r) => codes.includes(r.codigoObra ?? ''));
    const slotOf = (r: (typeof requests)[number]) => {
      const m = (r.body as { medicionSubterranea?: { fechaMedicion?: string; horaMedicion?: string } }).medicionSubterranea;
      return `${r.codigoObra}|${m?.fechaMedicion}|${m?.horaMedicion}`;
    };
    const perSlot = new Map<string, number>();
    for (const r of requests) perSlot.set(slotOf(r), (perSlot.get(slotOf(r)) ?? 0) + 1);
    const resent = [...perSlot.values()].filter((n) => n > 1).length;
    const rows = await w.client.query<{ receipt: string | null; status: string }>('SELECT receipt, status FROM dga_submissions');
    const stored = rows.rows.filter((r) => r.status === 'sent').map((r) => r.receipt).sort();
    const given = requests.filter((r) => r.response?.statusCode === 200).map((r) => r.response?.body.data?.numeroComprobante as string).sort();
    const leased = rows.rows.filter((r) => r.status === 'sending').length;
    report({
      fault: 'reporter SIGKILL', served: requests.length, stored: stored.length, duplicates: resent, deadLetters: 0, recoverySeconds,
      sentAtKill: atKill, stillLeased: leased,
    });
    expect(resent).toBe(0);
    // Every receipt DGA gave is stored, except at most the one of the exchange the kill interrupted.
    expect(given.filter((g) => !stored.includes(g)).length).toBeLessThanOrEqual(1);
    expect(stored.every((s) => given.includes(s!))).toBe(true);
    expect(leased).toBeLessThanOrEqual(1);
    expect(stored.length).toBeGreaterThan(atKill);
    for (const r of [reporter, second]) expect(FaultWorld.running(r), r.tail()).toBe(true);
  }, 300_000);
});
