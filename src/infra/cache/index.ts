import type { Cache, CacheStats } from './cache.js';
import { MemoryCache } from './memory.js';
import { RedisCache } from './redis.js';

export type { Cache } from './cache.js';
export { ALL_NAMESPACES, cached, cachedBytes, CacheStats } from './cache.js';
export { LocalCopies } from './local-copies.js';

/** Redis when a URL is configured, the in-process cache otherwise; `stats` counts the `cached()` reads. */
export function createCache(opts: { redisUrl?: string; prefix?: string; stats?: CacheStats }): Cache {
  return opts.redisUrl ? new RedisCache(opts.redisUrl, opts.prefix, opts.stats) : new MemoryCache({ stats: opts.stats });
}
