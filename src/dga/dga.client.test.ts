import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { DgaClient } from './dga.client.js';
import { buildDgaRequest, type DgaRequest } from './payload.js';
import { startDgaSimulator, type RunningDgaSimulator } from './simulator.js';

const now = new Date('2026-06-11T17:05:00Z');
let sim: RunningDgaSimulator;

beforeAll(async () => {
  sim = await startDgaSimulator({ clock: { now: () => now }, timeZone: 'Etc/GMT+4' });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  sim.state.reset();
});

function request(codigoObra = 'OB-0602-7'): DgaRequest {
  const built = buildDgaRequest({
    tz: 'Etc/GMT+4',
    config: {
      standard: 'MAYOR', type: 'SUBTERRANEO', codigoObra, informanteRut: '20999888-2', informantePassword: 'demo',
      companyRut: '77555666-8',
    },
    slot: new Date('2026-06-11T17:00:00Z'),
    reading: { caudalLps: 15.3, totalizerM3: 1010, waterTableM: 9.85 },
    sentAt: now,
  });
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return built.request;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('DgaClient against the DGA simulator', () => {
  it('returns the receipt of an accepted reading, and the same receipt as a duplicate when sent again', async () => {
    const client = new DgaClient({ apiUrl: `${sim.url}//` });
    const first = await client.send(request());
    expect(first.outcome).toMatchObject({ kind: 'sent', duplicate: false });
    expect(first.httpStatus).toBe(200);
    const receipt = first.outcome.kind === 'sent' ? first.outcome.receipt : '';
    expect(JSON.parse(first.response!).data.numeroComprobante).toBe(receipt);

    const again = await client.send(request());
    expect(again.outcome).toMatchObject({ kind: 'sent', duplicate: true, receipt });
    expect(sim.received()).toHaveLength(2);
  });

  it('classifies refused credentials, a server error, a timeout and an unreachable server', async () => {
    const client = new DgaClient({ apiUrl: sim.url, requestTimeoutMs: 200 });
    sim.state.faults.authErrorObras.add('OB-0602-8');
    const refused = await client.send(request('OB-0602-8'));
    expect(refused.outcome).toMatchObject({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED' });
    expect(refused.httpStatus).toBe(401);

    sim.state.faults.serverErrors = 1;
    const failed = await client.send(request());
    expect(failed.outcome.kind).toBe('retryable');
    expect(failed).toMatchObject({ httpStatus: 500, retryCode: 'DGA_UNAVAILABLE' });

    sim.state.faults.timeouts = 1;
    sim.state.faults.timeoutMs = 5_000;
    const slow = await client.send(request());
    expect(slow).toMatchObject({ answer: { kind: 'timeout' }, httpStatus: null, response: null, retryCode: 'DGA_TIMEOUT' });
    expect(slow.outcome.kind).toBe('retryable');
    sim.state.releaseHangs();

    const nowhere = await new DgaClient({ apiUrl: `http://127.0.0.1:${await closedPort()}` }).send(request());
    expect(nowhere).toMatchObject({ answer: { kind: 'network', message: 'ECONNREFUSED' }, retryCode: 'DGA_UNREACHABLE' });
    expect(nowhere.outcome.kind).toBe('retryable');
  });

  it('keeps at most 4000 characters of an answer', async () => {
    const long = 'x'.repeat(10_000);
    const fake: typeof fetch = async () => new Response(JSON.stringify({ status: '99', message: long }), { status: 400 });
    const exchange = await new DgaClient({ apiUrl: 'http://dga.invalid', fetch: fake }).send(request());
    expect(exchange.outcome.kind).toBe('rejected');
    expect(exchange.response).toHaveLength(4000);
  });
});
