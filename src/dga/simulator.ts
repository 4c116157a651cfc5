/**
 * A DGA MEE server for demos and tests: speaks the documented contract at
 * `/mediciones/subterraneas` and `/mediciones/superficiales/flujometro`, remembers what it accepted
 * (a second send of the same obra + fecha + hora gets DGA's duplicate answer with the first
 * receipt), records every request, and can inject faults.
 *
 * Informantes: by default any valid rutUsuario with password `demo` may report any obra. An obra
 * registered with its own informante refuses every other rutUsuario with HTTP 400
 * `Usuario no es el informante registrado en la Obra` — 400, not 401, because public clients of
 * the real API (the original system among them) receive this message in their HTTP 400 branch.
 * A wrong password, and the `authErrorObras` fault, answer HTTP 401.
 *
 * Control endpoints (not part of DGA's API):
 *   GET    /_sim/received?codigoObra=   requests received, password masked
 *   DELETE /_sim/received               forget them
 *   POST   /_sim/faults                 {serverErrors?, timeouts?, timeoutMs?, authErrorObras?}
 *   DELETE /_sim/faults
 *   POST   /_sim/informantes            {codigoObra, rutUsuario, password, standard?}
 *   POST   /_sim/reset                  everything back to empty
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { systemClock, type Clock } from '../lib/clock.js';
import { normalizeRut } from '../registry/rut.js';
import { DGA_ENDPOINTS } from './payload.js';
import { checkMeasurementRequest } from './simulator.contract.js';
import { DEFAULT_REPORT_TIMEZONE } from '../config.js';
import { DGA_STANDARDS, type DgaStandard, type DgaType } from './types.js';
import { isValidCodigoObra } from './validation.js';
import { DEFAULT_SIM_PASSWORD, DgaSimulatorState, type DgaSimAnswer, type ReceivedDgaRequest } from './simulator.state.js';

export {
  DEFAULT_SIM_PASSWORD, DgaSimulatorState, type DgaSimAnswer, type DgaSimFaults, type Informante, type ReceivedDgaRequest,
} from './simulator.state.js';

export interface DgaSimulatorOptions {
  state?: DgaSimulatorState;
  clock?: Clock;
  /** Time zone of fechaMedicion / horaMedicion, for the future-date check. */
  timeZone?: string;
}

const answer = (status: number, message: string): DgaSimAnswer => ({ status: String(status), message });

function maskPassword(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || !('autenticacion' in body)) return body;
  const auth = (body as { autenticacion: unknown }).autenticacion;
  if (auth === null || typeof auth !== 'object') return body;
  return { ...body, autenticacion: { ...auth, password: '***' } };
}

function parseJsonObject(raw: unknown): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(typeof raw === 'string' && raw !== '' ? raw : '{}');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The DGA routes and the control endpoints, mountable under any prefix. */
export const dgaSimulatorPlugin: FastifyPluginAsync<DgaSimulatorOptions> = async (app, opts) => {
  const state = opts.state ?? new DgaSimulatorState();
  const clock = opts.clock ?? systemClock;
  const tz = opts.timeZone ?? DEFAULT_REPORT_TIMEZONE;
  let seq = 0;

  // Bodies arrive as text so a malformed one is recorded and answered in DGA's shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('preClose', async () => state.releaseHangs());

  for (const type of Object.keys(DGA_ENDPOINTS) as DgaType[]) {
    app.post(DGA_ENDPOINTS[type], async (req, reply) => {
      const rawBody = typeof req.body === 'string' ? req.body : '';
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      let parsed: unknown = rawBody;
      try {
        parsed = JSON.parse(rawBody);
      } catch {
        // kept as text
      }
      const record: ReceivedDgaRequest = {
        seq: ++seq,
        receivedAt: clock.now().toISOString(),
        path: DGA_ENDPOINTS[type],
        codigoObra: headers['codigoobra'] ?? null,
        headers,
        body: parsed,
        response: null,
      };
      state.received.push(record);
      const send = (statusCode: number, body: DgaSimAnswer): DgaSimAnswer => {
        record.response = { statusCode, body };
        reply.code(statusCode);
        return body;
      };

      const faults = state.faults;
      if (faults.timeouts > 0) {
        faults.timeouts--;
        await state.hang(faults.timeoutMs);
        return send(504, answer(504, 'Tiempo de espera agotado (simulado)'));
      }
      if (faults.serverErrors > 0) {
        faults.serverErrors--;
        return send(500, answer(500, 'Error interno del servidor (simulado)'));
      }

      const check = checkMeasurementRequest({ type, headers: req.headers, rawBody, now: clock.now(), tz });
      if (!check.ok) return send(check.status, answer(check.status, check.message));
      const m = check.measurement;

      if (faults.authErrorObras.has(m.codigoObra)) return send(401, answer(401, 'Credenciales inválidas'));
      const registered = state.informanteOf(m.codigoObra);
      if (registered && registered.rutUsuario !== m.auth.rutUsuario) {
        return send(400, answer(400, 'Usuario no es el informante registrado en la Obra'));
      }
      if (m.auth.password !== (registered?.password ?? DEFAULT_SIM_PASSWORD)) {
        return send(401, answer(401, 'Contraseña incorrecta para el usuario informante'));
      }
      if (
        type === 'SUBTERRANEO' &&
        m.nivelFreaticoDelPozo === '' &&
        registered?.standard !== undefined &&
        registered.standard !== 'CAUDALES_MUY_PEQUENOS'
      ) {
        return send(400, answer(400, `nivelFreaticoDelPozo es obligatorio para el estándar ${registered.standard}`));
      }

      const previous = state.receiptFor(m.codigoObra, m.fechaMedicion, m.horaMedicion);
      if (previous) {
        return send(400, answer(400, `Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${previous}`));
      }
      const receipt = state.accept(m.codigoObra, m.fechaMedicion, m.horaMedicion);
      return send(200, { status: '00', message: 'Medición registrada correctamente', data: { numeroComprobante: receipt } });
    });
  }

  app.get('/_sim/received', async (req) => {
    const codigoObra = (req.query as Record<string, string | undefined>)['codigoObra'];
    const items = state.receivedFor(codigoObra).map((r) => ({ ...r, body: maskPassword(r.body) }));
    return { items, total: items.length };
  });

  app.delete('/_sim/received', async (_req, reply) => {
    state.received.length = 0;
    return reply.code(204).send();
  });

  app.post('/_sim/faults', async (req, reply) => {
    const body = parseJsonObject(req.body);
    const count = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
    const f = state.faults;
    f.serverErrors += count(body['serverErrors']);
    f.timeouts += count(body['timeouts']);
    if (count(body['timeoutMs']) > 0) f.timeoutMs = count(body['timeoutMs']);
    const obras = body['authErrorObras'];
    if (Array.isArray(obras)) for (const o of obras) if (typeof o === 'string') f.authErrorObras.add(o);
    return reply.code(200).send({ ...f, authErrorObras: [...f.authErrorObras] });
  });

  app.delete('/_sim/faults', async (_req, reply) => {
    state.clearFaults();
    return reply.code(204).send();
  });

  app.post('/_sim/informantes', async (req, reply) => {
    const body = parseJsonObject(req.body);
    const { codigoObra, rutUsuario, password, standard } = body;
    if (typeof codigoObra !== 'string' || !isValidCodigoObra(codigoObra)) {
      return reply.code(400).send(answer(400, 'codigoObra inválido'));
    }
    if (typeof rutUsuario !== 'string' || !normalizeRut(rutUsuario)) return reply.code(400).send(answer(400, 'rutUsuario inválido'));
    if (typeof password !== 'string' || password === '') return reply.code(400).send(answer(400, 'password requerido'));
    if (standard !== undefined && !DGA_STANDARDS.includes(standard as DgaStandard)) {
      return reply.code(400).send(answer(400, 'standard inválido'));
    }
    state.registerInformante(codigoObra, { rutUsuario, password, standard: standard as DgaStandard | undefined });
    return reply.code(201).send({ codigoObra, rutUsuario: normalizeRut(rutUsuario) });
  });

  app.post('/_sim/reset', async (_req, reply) => {
    state.reset();
    return reply.code(204).send();
  });
};

export interface BuildDgaSimulatorOptions extends DgaSimulatorOptions {
  logger?: FastifyServerOptions['logger'];
}

/** A standalone simulator app (routes at the root); use `inject`, or `listen` via startDgaSimulator. */
export function buildDgaSimulator(opts: BuildDgaSimulatorOptions = {}): FastifyInstance {
  // A test double must not keep a suite waiting on a client's unread keep-alive response.
  const app = Fastify({ logger: opts.logger ?? false, forceCloseConnections: true });
  void app.register(dgaSimulatorPlugin, { state: opts.state, clock: opts.clock, timeZone: opts.timeZone });
  return app;
}

export interface RunningDgaSimulator {
  /** Base URL to use as DGA_API_URL. */
  url: string;
  state: DgaSimulatorState;
  received(codigoObra?: string): ReceivedDgaRequest[];
  close(): Promise<void>;
}

export async function startDgaSimulator(
  opts: BuildDgaSimulatorOptions & { port?: number; host?: string } = {},
): Promise<RunningDgaSimulator> {
  const state = opts.state ?? new DgaSimulatorState();
  const app = buildDgaSimulator({ ...opts, state });
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${host}:${port}`,
    state,
    received: (codigoObra) => state.receivedFor(codigoObra),
    close: () => app.close(),
  };
}
