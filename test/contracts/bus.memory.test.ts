import { MemoryBus } from '../../src/infra/bus/memory.js';
import { describeBusContract } from './bus.contract.js';

let n = 0;
describeBusContract('in-process bus', {
  create: async () => new MemoryBus({ retryDelayMs: 10 }),
  name: (what) => `contract.${what}.${++n}`,
  timeoutMs: 5000,
});
