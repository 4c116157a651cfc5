import type { Cache } from './cache.js';
import { MemoryCache } from './memory.js';
import { RedisCache } from './redis.js';

export type { Cache } from './cache.js';
export { ALL_NAMESPACES, cached, cacheStats } from './cache.js';

export function createCache(redisUrl?: string, prefix?: string): Cache {
  return redisUrl ? new RedisCache(redisUrl, prefix) : new MemoryCache();
}
