import { getHeapStatistics } from 'node:v8';
import type { CommandIo } from '../../src/cli/command.js';
import type { Config } from '../../src/config.js';

/** Commands for heap-bounded.test.ts, run in the bounded worker. */
export async function heapLimit(args: string[], deps: { config: Config; io: CommandIo }): Promise<number> {
  deps.io.out.write(`${Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024)} ${args.join(',')} ${deps.config.port}\n`);
  return 7;
}

export async function refused(): Promise<number> {
  const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', port: 1, address: '127.0.0.1' });
  throw new AggregateError([inner], 'all addresses refused');
}

export async function hungry(): Promise<number> {
  const keep: number[][] = [];
  for (;;) keep.push(Array.from({ length: 100_000 }, (_, i) => i + 0.5));
}
