import { RedisCache } from '../../src/infra/cache/redis.js';
import { describeCacheContract } from '../contracts/cache.contract.js';
import { REDIS_URL, uniquePrefix } from './support.js';

// A CACHE_PREFIX per cache, so runs and tests never see each other's keys or announcements.
describeCacheContract('Redis', { create: async () => new RedisCache(REDIS_URL, uniquePrefix()), announceTimeoutMs: 5000 });
