import type { Cache } from '../infra/cache/index.js';

/** Cache namespaces that depend on the registry. */
export const CACHE_NS = {
  activePoints: 'active-points',
  pointConfig: 'point-config',
} as const;

/** Any change to a client, project, point or schema invalidates what was derived from them, in every process. */
export class RegistryEvents {
  constructor(private readonly cache: Cache) {}

  async registryChanged(): Promise<void> {
    await Promise.all([this.cache.invalidate(CACHE_NS.activePoints), this.cache.invalidate(CACHE_NS.pointConfig)]);
  }
}
