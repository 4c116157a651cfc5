import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDgaRequest, type BuildDgaRequestInput, type DgaRequest } from './payload.js';
import { classifyDgaAnswer, type DgaAnswer } from './response.js';
import { buildDgaSimulator, DgaSimulatorState, startDgaSimulator, type RunningDgaSimulator } from './simulator.js';

const now = new Date('2026-06-11T17:05:00Z');
let sim: RunningDgaSimulator;

beforeAll(async () => {
  sim = await startDgaSimulator({ clock: { now: () => now } });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
});

const input: BuildDgaRequestInput = {
  tz: 'Etc/GMT+4',
  config: {
    standard: 'MAYOR',
    type: 'SUBTERRANEO',
    codigoObra: 'OB-0602-7',
    informanteRut: '20999888-2',
    informantePassword: 'demo',
    companyRut: '77555666-8',
  },
  slot: new Date('2026-06-11T17:00:00Z'),
  reading: { caudalLps: 15.314, totalizerM3: 1010, waterTableM: 9.85 },
  sentAt: now,
};

function request(overrides: Partial<BuildDgaRequestInput> = {}): DgaRequest {
  const built = buildDgaRequest({ ...input, ...overrides });
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return built.request;
}

async function post(path: string, headers: Record<string, string>, body: string, timeoutMs = 5_000): Promise<DgaAnswer> {
  try {
    const res = await fetch(sim.url + path, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    return { kind: 'http', status: res.status, body: await res.text() };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { kind: 'timeout' };
    return { kind: 'network', message: (err as Error).message };
  }
}

const send = (r: DgaRequest, timeoutMs?: number): Promise<DgaAnswer> =>
  post(r.path, { ...r.headers }, JSON.stringify(r.body), timeoutMs);

function json(answer: DgaAnswer): { status: string; message: string; data?: { numeroComprobante: string } } {
  if (answer.kind !== 'http') throw new Error(`no HTTP answer: ${answer.kind}`);
  return JSON.parse(answer.body);
}

describe('DGA simulator over HTTP', () => {
  it('accepts a well reading and returns a receipt', async () => {
    const answer = await send(request());
    expect(answer).toMatchObject({ kind: 'http', status: 200 });
    const body = json(answer);
    expect(body.status).toBe('00');
    expect(body.data?.numeroComprobante).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(classifyDgaAnswer(answer)).toMatchObject({ kind: 'sent', duplicate: false, receipt: body.data?.numeroComprobante });

    const [received] = sim.received('OB-0602-7');
    expect(received?.headers['timestamporigen']).toBe('2026-06-11T13:05:00-0000');
    expect(received?.body).toMatchObject({ medicionSubterranea: { caudal: '15.31', horaMedicion: '13:00:00' } });
    const listed = await (await fetch(`${sim.url}/_sim/received?codigoObra=OB-0602-7`)).json();
    expect(listed.total).toBe(1);
    expect(listed.items[0].body.autenticacion.password).toBe('***');
    expect(listed.items[0].response.statusCode).toBe(200);
  });

  it('accepts a surface reading at its own endpoint', async () => {
    const r = request({ config: { ...input.config, type: 'SUPERFICIAL' } });
    expect(r.path).toBe('/mediciones/superficiales/flujometro');
    expect(json(await send(r)).status).toBe('00');
  });

  it('answers a second send of the same slot with the first receipt', async () => {
    const first = json(await send(request())).data?.numeroComprobante;
    const again = await send(request({ reading: { caudalLps: 1, totalizerM3: 2, waterTableM: 3 } }));
    expect(again).toMatchObject({ kind: 'http', status: 400 });
    expect(json(again).message).toBe(`Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${first}`);
    expect(classifyDgaAnswer(again)).toMatchObject({ kind: 'sent', duplicate: true, receipt: first });
    // another hour of the same obra is a new record
    expect(json(await send(request({ slot: new Date('2026-06-11T16:00:00Z') }))).status).toBe('00');
  });

  it('refuses a user who is not the obra’s registered informante', async () => {
    const reg = await fetch(`${sim.url}/_sim/informantes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ codigoObra: 'OB-0602-7', rutUsuario: '12.345.678-5', password: 'clave' }),
    });
    expect(reg.status).toBe(201);
    await reg.text();
    const answer = await send(request());
    expect(answer).toMatchObject({ kind: 'http', status: 400 });
    expect(json(answer).message).toBe('Usuario no es el informante registrado en la Obra');
    expect(classifyDgaAnswer(answer)).toMatchObject({ kind: 'needs_attention', code: 'DGA_INFORMANTE_MISMATCH' });

    const right = request({ config: { ...input.config, informanteRut: '12345678-5', informantePassword: 'clave' } });
    expect(json(await send(right)).status).toBe('00');
  });

  it('refuses a wrong password with 401', async () => {
    const answer = await send(request({ config: { ...input.config, informantePassword: 'nope' } }));
    expect(answer).toMatchObject({ kind: 'http', status: 401 });
    expect(classifyDgaAnswer(answer)).toMatchObject({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED' });
  });

  it('answers malformed requests with 400 and a message naming the problem', async () => {
    const r = request();
    const body = r.body as unknown as { medicionSubterranea: Record<string, unknown>; autenticacion: Record<string, unknown> };

    const notJson = await post(r.path, { ...r.headers }, '{"autenticacion":');
    expect(notJson).toMatchObject({ kind: 'http', status: 400 });
    expect(json(notJson).message).toMatch(/JSON/);

    const badCaudal = { ...body, medicionSubterranea: { ...body.medicionSubterranea, caudal: '15.3' } };
    const a1 = await post(r.path, { ...r.headers }, JSON.stringify(badCaudal));
    expect(json(a1).message).toMatch(/caudal debe ser numérico con 2 decimales: 15\.3/);
    expect(classifyDgaAnswer(a1)).toMatchObject({ kind: 'rejected', httpStatus: 400 });

    const numeric = { ...body, medicionSubterranea: { ...body.medicionSubterranea, totalizador: 1010 } };
    expect(json(await post(r.path, { ...r.headers }, JSON.stringify(numeric))).message).toMatch(/totalizador debe ser texto/);

    const { totalizador: _dropped, ...withoutTotalizer } = body.medicionSubterranea;
    const missing = { ...body, medicionSubterranea: withoutTotalizer };
    expect(json(await post(r.path, { ...r.headers }, JSON.stringify(missing))).message).toMatch(/falta el campo medicionSubterranea\.totalizador/);

    const badHeaders = { ...r.headers, codigoObra: 'OB-62-7', timeStampOrigen: '2026-06-11T13:05:00Z' };
    const a2 = await post(r.path, badHeaders, JSON.stringify(body));
    expect(json(a2).message).toMatch(/codigoObra con formato inválido/);
    expect(json(a2).message).toMatch(/timeStampOrigen/);

    const dotted = { ...body, autenticacion: { ...body.autenticacion, rutUsuario: '20.999.888-2' } };
    expect(json(await post(r.path, { ...r.headers }, JSON.stringify(dotted))).message).toMatch(/rutUsuario no es un RUT válido/);

    const wrongEndpoint = await post('/mediciones/superficiales/flujometro', { ...r.headers }, JSON.stringify(body));
    expect(json(wrongEndpoint).message).toMatch(/campo no permitido medicionSubterranea/);

    const future = request({ slot: new Date('2026-06-11T19:00:00Z') });
    expect(json(await send(future)).message).toMatch(/futuro/);

    expect(sim.received()).toHaveLength(8);
    expect(sim.received().every((r) => r.response?.statusCode === 400)).toBe(true);
  });

  it('injects server errors, auth errors and timeouts until cleared', async () => {
    const faults = async (body: unknown): Promise<void> => {
      const res = await fetch(`${sim.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      await res.text();
    };

    await faults({ serverErrors: 2 });
    expect(await send(request())).toMatchObject({ kind: 'http', status: 500 });
    expect(classifyDgaAnswer(await send(request()))).toMatchObject({ kind: 'retryable', httpStatus: 500 });
    expect(await send(request())).toMatchObject({ kind: 'http', status: 200 });

    await faults({ authErrorObras: ['OB-0602-7'] });
    const refused = await send(request({ slot: new Date('2026-06-11T16:00:00Z') }));
    expect(classifyDgaAnswer(refused)).toMatchObject({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED', httpStatus: 401 });
    expect((await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' })).status).toBe(204);
    expect(await send(request({ slot: new Date('2026-06-11T16:00:00Z') }))).toMatchObject({ kind: 'http', status: 200 });

    await faults({ timeouts: 1, timeoutMs: 2_000 });
    const timedOut = await send(request({ slot: new Date('2026-06-11T15:00:00Z') }), 200);
    expect(classifyDgaAnswer(timedOut)).toMatchObject({ kind: 'retryable', httpStatus: null });
    expect(json(await send(request({ slot: new Date('2026-06-11T15:00:00Z') }))).status).toBe('00');
  });
});

describe('DGA simulator app', () => {
  it('requires the water table from wells registered under a standard that reports it', async () => {
    const state = new DgaSimulatorState();
    state.registerInformante('OB-0602-9', { rutUsuario: '20999888-2', password: 'demo', standard: 'MEDIO' });
    const app = buildDgaSimulator({ state, clock: { now: () => now } });
    const r = request({
      config: { ...input.config, codigoObra: 'OB-0602-9', standard: 'CAUDALES_MUY_PEQUENOS' },
      slot: new Date('2026-01-01T04:00:00Z'),
      reading: { ...input.reading, waterTableM: null },
    });
    const res = await app.inject({ method: 'POST', url: r.path, headers: { ...r.headers }, payload: JSON.stringify(r.body) });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/nivelFreaticoDelPozo es obligatorio para el estándar MEDIO/);
    await app.close();
  });
});
