import { describe, expect, it } from 'vitest';
import { asInteractive, isInteractive, PriorityGate } from './priority.js';
import { PgliteDb } from './pglite.js';

const held = () => {
  let release: () => void = () => undefined;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
};

describe('the priority gate', () => {
  it('lets a waiting request go before background work queued earlier', async () => {
    const gate = new PriorityGate();
    const order: string[] = [];
    const first = held();
    const running = gate.run(() => first.done);
    const b1 = gate.run(async () => void order.push('background 1'));
    const b2 = gate.run(async () => void order.push('background 2'));
    const i1 = asInteractive(() => gate.run(async () => void order.push('request')));
    expect(gate.waiting()).toEqual({ interactive: 1, background: 2 });
    first.release();
    await Promise.all([running, b1, b2, i1]);
    expect(order).toEqual(['request', 'background 1', 'background 2']);
  });

  it('keeps the gate a moment for the request that just used it: its next statement comes within a turn', async () => {
    const gate = new PriorityGate();
    const order: string[] = [];
    const first = held();
    const request = asInteractive(async () => {
      await gate.run(() => first.done);
      await new Promise((r) => setImmediate(r)); // e.g. work of its own between two statements
      await gate.run(async () => void order.push('request, second statement'));
    });
    await new Promise((r) => setImmediate(r));
    const background = gate.run(async () => void order.push('background'));
    first.release();
    await Promise.all([request, background]);
    expect(order).toEqual(['request, second statement', 'background']);
  });

  it('gives the gate to background work when the request does not come back', async () => {
    const gate = new PriorityGate();
    await asInteractive(() => gate.run(async () => undefined));
    const first = held();
    const request = asInteractive(() => gate.run(() => first.done));
    const background = gate.run(async () => 'ran');
    first.release();
    await request;
    expect(await background).toBe('ran');
  });

  it('lets background work in while one request runs statement after statement', async () => {
    const gate = new PriorityGate(3);
    const order: string[] = [];
    const first = held();
    const request = asInteractive(async () => {
      await gate.run(() => first.done);
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setImmediate(r));
        await gate.run(async () => void order.push(`request ${i}`));
      }
    });
    await new Promise((r) => setImmediate(r));
    const background = gate.run(async () => void order.push('background'));
    first.release();
    await Promise.all([request, background]);
    expect(order.indexOf('background')).toBeGreaterThan(0);
    expect(order.indexOf('background')).toBeLessThanOrEqual(3);
  });

  it('does not starve background work behind a stream of requests', async () => {
    const gate = new PriorityGate(2);
    const order: string[] = [];
    const first = held();
    const running = gate.run(() => first.done);
    const all = [gate.run(async () => void order.push('b'))];
    for (let i = 0; i < 4; i++) all.push(gate.run(async () => void order.push(`r${i}`), true));
    first.release();
    await Promise.all([running, ...all]);
    expect(order).toEqual(['r0', 'r1', 'b', 'r2', 'r3']);
  });

  it('is released when the holder fails', async () => {
    const gate = new PriorityGate();
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'next')).toBe('next');
  });

  it('knows a request by what it started, through awaits', async () => {
    expect(isInteractive()).toBe(false);
    await asInteractive(async () => {
      await new Promise((r) => setImmediate(r));
      expect(isInteractive()).toBe(true);
    });
  });
});

describe('the embedded database', () => {
  it('runs a request’s query before background transactions queued ahead of it', async () => {
    const db = await PgliteDb.open();
    try {
      const order: string[] = [];
      const first = held();
      const long = db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await first.done;
      });
      await new Promise((r) => setImmediate(r));
      const background = Array.from({ length: 3 }, (_, i) => db.transaction(async (tx) => void (await tx.query('SELECT 1'), order.push(`background ${i}`))));
      await new Promise((r) => setImmediate(r));
      const request = asInteractive(async () => void (await db.query('SELECT 1'), order.push('request')));
      await new Promise((r) => setTimeout(r, 20));
      first.release();
      await Promise.all([long, ...background, request]);
      expect(order[0]).toBe('request');
      expect(order).toHaveLength(4);
    } finally {
      await db.close();
    }
  });
});
