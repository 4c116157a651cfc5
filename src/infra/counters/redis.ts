import type { RedisClient } from '../cache/redis.js';
import type { Counters } from './counters.js';

/** Counters in Redis under `<prefix>:counters:`, shared by every process. */
export class RedisCounters implements Counters {
  readonly kind = 'redis' as const;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(k: string) {
    return `${this.prefix}:counters:${k}`;
  }

  async add(key: string, ttlMs: number): Promise<number> {
    const k = this.key(key);
    const r = await this.client.multi().incr(k).pexpire(k, ttlMs).exec();
    const [err, n] = r![0]!;
    if (err) throw err;
    return Number(n);
  }

  async hold(key: string, ttlMs: number): Promise<void> {
    await this.client.set(this.key(key), '1', 'PX', ttlMs);
  }

  async remainingMs(key: string): Promise<number> {
    return Math.max(0, await this.client.pttl(this.key(key)));
  }

  async delete(...keys: string[]): Promise<void> {
    // One DEL per key: in a cluster the keys may live in different slots.
    await Promise.all(keys.map((k) => this.client.del(this.key(k))));
  }
}
