/**
 * Provider simulator: Twin (ThingsBoard), Nettra (theThings.io) and Novus (TagoIO) on one server.
 *
 *   const sim = await startProviderSimulator({ port: 0 });           // { url, app, close }
 *   createAdapter('twin',   { baseUrl: `${sim.url}/twin`, username: 'any', password: 'demo' }, opts);
 *   createAdapter('nettra', { baseUrl: `${sim.url}/nettra` }, opts);  // device: { token: any thing token }
 *   createAdapter('novus',  { baseUrl: `${sim.url}/novus` }, opts);   // device: { token: any device token }
 *
 * Any device id or token has data, seeded from it (`pozo-7-every5m` reports every 5 minutes).
 * Control API:
 *   POST   /_sim/faults  {type: http_500|http_429|timeout|gap|negative|string_values, provider?, device?,
 *                         channels?, count?, retryAfterSeconds?, hangMs?, from?, to?, codes?, every?}
 *   GET    /_sim/faults  · DELETE /_sim/faults[?provider=&device=]  · GET /_sim/stats
 */
export { buildProviderSimulator, startProviderSimulator } from './app.js';
export type { ProviderSimulatorOptions, RunningSimulator } from './app.js';
export { DEFAULT_LIMITS } from './context.js';
export type { SimulatorLimits } from './context.js';
export type { FaultSpec, FaultType } from './faults.js';
export {
  SIMULATOR_CHANNELS,
  isPumpOn,
  lastResetMs,
  pumpedVolumeM3,
  readingIntervalMs,
  readingTimes,
  simulatedValue,
  simulatorChannel,
  wellProfile,
} from './series.js';
export type { ChannelKind, SimulatorChannel, WellProfile } from './series.js';
export { TWIN_DEMO_PASSWORD } from './twin.routes.js';
