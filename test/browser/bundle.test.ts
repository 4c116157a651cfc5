import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INITIAL_JS_BUDGET_BYTES, measureBundle } from '../../tools/web-size.js';
import { ROOT } from './support.js';

describe('the built web application', () => {
  it('downloads under 300 kB of gzipped JavaScript before the first screen; map and charts load later', () => {
    const size = measureBundle(join(ROOT, 'dist/web'));
    console.log(`initial JavaScript ${(size.initialJsGzip / 1024).toFixed(1)} kB gzipped: ${size.initial.map((f) => f.file).join(', ')}`);
    expect(size.initialJsGzip).toBeGreaterThan(0);
    expect(size.initialJsGzip).toBeLessThan(INITIAL_JS_BUDGET_BYTES);
    const initial = size.initial.map((f) => f.file).join(' ');
    expect(initial).not.toMatch(/MapView|SeriesChart/);
    expect(size.lazy.map((f) => f.file).join(' ')).toMatch(/MapView/);
  });
});
