import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runHeapBounded } from '../../src/cli/heap-bounded.js';

const probe = new URL('./heap-probe.fixture.ts', import.meta.url);

describe('a command in a heap-bounded worker (the legacy import)', () => {
  it('runs with the heap it is given, its arguments and the configuration, and answers its exit code', async () => {
    const out: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    const capture = new PassThrough();
    capture.on('data', (d: Buffer) => out.push(d.toString()));
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      capture.write(chunk);
      return original(chunk, ...(rest as []));
    }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await runHeapBounded(probe, 'heapLimit', ['a', 'b'], 96);
    } finally {
      process.stdout.write = original;
    }
    expect(code).toBe(7);
    const [limit, args] = out.join('').trim().split(' ');
    expect(Number(limit)).toBeGreaterThanOrEqual(96);
    expect(Number(limit)).toBeLessThan(96 + 64); // the old generation asked for, plus the young one
    expect(args).toBe('a,b');
  }, 30_000);

  it('hands a failure back with what main reads to name the fix (code, port, the inner errors)', async () => {
    const err = (await runHeapBounded(probe, 'refused', [], 96).catch((e: unknown) => e)) as AggregateError;
    expect(err).toBeInstanceOf(AggregateError);
    expect(err.errors[0]).toMatchObject({ code: 'ECONNREFUSED', port: 1, address: '127.0.0.1' });
  }, 30_000);

  it('stops a command that outgrows its heap with a message naming the setting', async () => {
    await expect(runHeapBounded(probe, 'hungry', [], 64)).rejects.toThrow(/more than its 64 MB heap; raise it with SMARTHYDRO_IMPORT_HEAP_MB/);
  }, 60_000);
});
