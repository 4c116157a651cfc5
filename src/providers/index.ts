import { NettraAdapter } from './nettra.js';
import { NovusAdapter } from './novus.js';
import type { ProviderAccount, ProviderAdapter, ProviderName } from './provider.js';
import { ResilientHttp, silentLogger, type ProviderLogger, type ResilienceOptions } from './resilience.js';
import type { AdapterOptions } from './support.js';
import { TwinAdapter, type TwinOptions } from './twin.js';

export type { AdapterOptions } from './support.js';
export type { TwinOptions } from './twin.js';
export { NettraAdapter, NovusAdapter, TwinAdapter };
export { ProviderRequestError, ResilientHttp } from './resilience.js';
export type { ProviderLogger, ResilienceOptions } from './resilience.js';

export type CreateAdapterOptions = AdapterOptions & TwinOptions;

/** One adapter per provider account. Pass `opts.http` (see `createProviderHttp`) to share limits across accounts. */
export function createAdapter(name: ProviderName, account: ProviderAccount, opts: CreateAdapterOptions = {}): ProviderAdapter {
  switch (name) {
    case 'twin':
      return new TwinAdapter(account, opts);
    case 'nettra':
      return new NettraAdapter(account, opts);
    case 'novus':
      return new NovusAdapter(account, opts);
  }
}

/** The resilience (concurrency limit, retries, breaker) one provider's adapters should share. */
export function createProviderHttp(
  name: ProviderName,
  options: Partial<ResilienceOptions> = {},
  logger: ProviderLogger = silentLogger,
): ResilientHttp {
  return new ResilientHttp(name, options, logger);
}
