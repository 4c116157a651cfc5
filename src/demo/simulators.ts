import type { FastifyBaseLogger } from 'fastify';
import type { Container } from '../container.js';
import { buildProviderSimulator } from '../providers/simulator/index.js';
import { TWIN_DEMO_PASSWORD } from '../providers/simulator/index.js';
import { dgaSimulatorPlugin, DgaSimulatorState } from '../dga/simulator.js';
import { DemoRepository } from './demo.repository.js';
import { PROVIDERS } from '../providers/provider.js';

export interface RunningSimulators {
  /** Provider APIs at `${url}/twin|nettra|novus`, the DGA API at `${url}/dga`. */
  url: string;
  dga: DgaSimulatorState;
  close(): Promise<void>;
}

/** The provider simulators and the DGA simulator on one HTTP server (`smarthydro simulate`, demo mode). */
export async function startSimulators(
  opts: { port?: number; host?: string; logger?: FastifyBaseLogger; dgaTimeZone?: string; clock?: () => Date } = {},
): Promise<RunningSimulators> {
  const app = buildProviderSimulator({ logger: opts.logger, clock: opts.clock });
  const dga = new DgaSimulatorState();
  await app.register(dgaSimulatorPlugin, { prefix: '/dga', state: dga, timeZone: opts.dgaTimeZone });
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { url: `http://${host}:${port}`, dga, close: () => app.close() };
}

/** Demo provider accounts pointing at the built-in simulator (its port changes at every start). */
export async function ensureDemoAccounts(c: Container, simulatorUrl: string): Promise<void> {
  const demo = new DemoRepository(c.db);
  for (const provider of PROVIDERS) {
    const name = `demo-${provider}`;
    const baseUrl = `${simulatorUrl}/${provider}`;
    await demo.upsertDemoAccount({
      provider,
      name,
      baseUrl,
      username: provider === 'twin' ? 'demo@smarthydro.local' : null,
      passwordEnc: provider === 'twin' ? c.secrets.encrypt(TWIN_DEMO_PASSWORD) : null,
    });
  }
  await c.events.registryChanged();
}
