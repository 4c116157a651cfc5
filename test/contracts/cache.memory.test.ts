import { MemoryCache } from '../../src/infra/cache/memory.js';
import { describeCacheContract } from './cache.contract.js';

describeCacheContract('in-process cache', { create: async () => new MemoryCache(), announceTimeoutMs: 100 });
