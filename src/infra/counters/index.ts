export type { Counters } from './counters.js';
export { MemoryCounters } from './memory.js';
export { RedisCounters } from './redis.js';
