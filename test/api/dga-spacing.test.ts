import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, nextRut, seedTenant, type TestContext } from '../support/context.js';
import { configureDgaPoint, FakeClock, insertMeasurements, wellSeries } from '../support/dga-fixtures.js';

/**
 * A strict stand-in of the DGA API that records when each request arrives (its own clock, on the server
 * side): no two requests of one informante RUT, nor two of one reporter, may arrive less than the
 * configured spacing apart, whatever the network does to a request on its way.
 */
interface Arrival {
  at: number;
  rut: string;
  obra: string;
}

let t: TestContext;
let server: Server;
let url: string;
const arrivals: Arrival[] = [];
let receiptSeq = 1;
let codeSeq = 700;

beforeAll(async () => {
  server = createServer((req, res) => {
    const at = performance.now();
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const rut = (JSON.parse(body) as { autenticacion: { rutUsuario: string } }).autenticacion.rutUsuario;
      arrivals.push({ at, rut, obra: String(req.headers['codigoobra']) });
      // DGA takes its time to answer.
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: '00', message: 'ok', data: { numeroComprobante: String(receiptSeq++) } }));
      }, 40);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createTestContext({ config: { dgaApiUrl: url, reportTimezone: 'Etc/GMT+4' } });
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function wells(rut: string[], clock: FakeClock): Promise<string[]> {
  const codes: string[] = [];
  const { points } = await seedTenant(t, `spacing-${codeSeq}`, rut.length);
  for (const [i, pointId] of points.entries()) {
    const code = `OB-0602-${codeSeq++}`;
    codes.push(code);
    await configureDgaPoint(t.c, pointId, { code, startDate: '2026-06-11', informantRut: rut[i]! });
    const data = wellSeries({ from: new Date(clock.now().getTime() - 3 * 3_600_000 - 7 * 60_000), to: new Date(clock.now().getTime() - 2 * 60_000) });
    await insertMeasurements(t.c.db, pointId, data.all);
  }
  return codes;
}

/** A network on which the first request of a reporter takes `ms` to reach DGA (a new connection). */
function slowFirstRequest(ms: number): typeof fetch {
  let first = true;
  return async (input, init) => {
    if (first) {
      first = false;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    return fetch(input, init);
  };
}

function gaps(xs: Arrival[]): number[] {
  const sorted = [...xs].sort((a, b) => a.at - b.at);
  return sorted.slice(1).map((x, i) => x.at - sorted[i]!.at);
}

describe('DGA request spacing', () => {
  it('one reporter: requests arrive at least the spacing apart even when the first one is slow on the way', async () => {
    const clock = new FakeClock(Date.parse('2026-06-11T12:07:00Z'));
    const codes = await wells([nextRut(), nextRut()], clock);
    const r = t.c.dgaReporter({ clock, minSpacingMs: 300, fetch: slowFirstRequest(250) });
    const result = await r.tick();
    expect(result.outcomes).toEqual(Array(8).fill('sent'));
    const mine = arrivals.filter((a) => codes.includes(a.obra));
    expect(mine).toHaveLength(8);
    for (const gap of gaps(mine)) expect(gap).toBeGreaterThanOrEqual(299);
    await t.c.db.query('UPDATE catchment_points SET dga_send = false');
  });

  it('two reporters sharing an informante RUT: its requests arrive at least the spacing apart', async () => {
    const clock = new FakeClock(Date.parse('2026-06-12T12:07:00Z'));
    const rut = nextRut();
    const codes = await wells([rut, rut], clock);
    const a = t.c.dgaReporter({ clock, owner: 'a', minSpacingMs: 300, fetch: slowFirstRequest(150) });
    const b = t.c.dgaReporter({ clock, owner: 'b', minSpacingMs: 300 });
    const results = await Promise.all([a.tick(), b.tick()]);
    expect(results.flatMap((x) => x.outcomes)).toEqual(Array(8).fill('sent'));
    expect(results.every((x) => x.outcomes.length > 0)).toBe(true);
    const mine = arrivals.filter((x) => codes.includes(x.obra));
    expect(mine).toHaveLength(8);
    for (const gap of gaps(mine)) expect(gap).toBeGreaterThanOrEqual(299);
    await t.c.db.query('UPDATE catchment_points SET dga_send = false');
  });

  it('another informante RUT is not held up by the first one', async () => {
    const clock = new FakeClock(Date.parse('2026-06-13T12:07:00Z'));
    const ruts = [nextRut(), nextRut()];
    const codes = await wells(ruts, clock);
    const a = t.c.dgaReporter({ clock, owner: 'c', minSpacingMs: 400 });
    const b = t.c.dgaReporter({ clock, owner: 'd', minSpacingMs: 400 });
    const started = performance.now();
    const results = await Promise.all([a.tick(), b.tick()]);
    expect(results.flatMap((x) => x.outcomes)).toEqual(Array(8).fill('sent'));
    const mine = arrivals.filter((x) => codes.includes(x.obra));
    for (const rut of ruts) {
      for (const gap of gaps(mine.filter((x) => x.rut === rut))) expect(gap).toBeGreaterThanOrEqual(399);
    }
    // Two RUTs in parallel: well under 8 × 400 ms.
    expect(performance.now() - started).toBeLessThan(7 * 400);
    await t.c.db.query('UPDATE catchment_points SET dga_send = false');
  });
});
