import { describe, expect, it } from 'vitest';
import { cached } from './cache/cache.js';
import { MemoryCache } from './cache/memory.js';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('keeps each instance its own registry: what one records the other never shows', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.processedReadings.inc({ outcome: 'stored' }, 5);
    expect(await a.registry.metrics()).toMatch(/smarthydro_processed_readings_total\{outcome="stored"\} 5/);
    expect(await b.registry.metrics()).not.toMatch(/smarthydro_processed_readings_total\{outcome="stored"\}/);
  });

  it('counts the reads of the cache built with its stats, as requests and as the hit ratio', async () => {
    const metrics = new Metrics();
    const cache = new MemoryCache({ stats: metrics.cacheStats });
    await cached(cache, 'ns', 'k', 60, async () => 'v'); // miss
    await cached(cache, 'ns', 'k', 60, async () => 'v'); // hit
    await cached(cache, 'ns', 'k', 60, async () => 'v'); // hit
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('smarthydro_cache_requests_total{result="hit"} 2');
    expect(text).toContain('smarthydro_cache_requests_total{result="miss"} 1');
    expect(text).toMatch(/smarthydro_cache_hit_ratio 0\.666/);
  });

  it('counts the DGA queue from its source at scrape time, and keeps the last counts when the source fails', async () => {
    const metrics = new Metrics();
    expect(await metrics.registry.metrics()).not.toMatch(/^smarthydro_dga_queue\{/m);
    let counts: Record<string, number> | Error = { pending: 3, needs_attention: 1 };
    metrics.countDgaQueueWith(async () => {
      if (counts instanceof Error) throw counts;
      return counts;
    });
    expect(await metrics.registry.metrics()).toMatch(/^smarthydro_dga_queue\{status="pending"\} 3$/m);
    counts = { pending: 5, needs_attention: 0 };
    expect(await metrics.registry.metrics()).toMatch(/^smarthydro_dga_queue\{status="pending"\} 5$/m);
    counts = new Error('database is away');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^smarthydro_dga_queue\{status="pending"\} 5$/m);
    expect(text).toMatch(/^smarthydro_dga_queue\{status="needs_attention"\} 0$/m);
  });
});
