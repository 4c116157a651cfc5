import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_NAMESPACES, cached } from '../../src/infra/cache/index.js';
import { RedisCache } from '../../src/infra/cache/redis.js';
import { describeCacheContract } from '../contracts/cache.contract.js';
import { uniquePrefix } from './support.js';

/**
 * The cache and its cross-process invalidation on a Redis Cluster of three masters started here
 * (`redis-server --cluster-enabled yes` on three ports, `redis-cli --cluster create`), shut down afterwards.
 */
let dir: string;
let ports: number[] = [];
let url = '';

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Three consecutive ports whose cluster bus ports (+10000) are free too. */
async function freePorts(): Promise<number[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 21000 + Math.floor(Math.random() * 8000);
    const candidate = [base, base + 1, base + 2];
    const all = await Promise.all(candidate.flatMap((p) => [free(p), free(p + 10000)]));
    if (all.every(Boolean)) return candidate;
  }
  throw new Error('no free ports for a local Redis Cluster');
}

const cli = (...args: string[]) => execFileSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smarthydro-redis-cluster-'));
  ports = await freePorts();
  for (const port of ports) {
    execFileSync('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no',
      '--daemonize', 'yes', '--pidfile', join(dir, `redis-${port}.pid`), '--logfile', join(dir, `redis-${port}.log`),
    ]);
  }
  for (const port of ports) {
    for (let i = 0; i < 50 && !/PONG/.test(cli('-p', String(port), 'ping')); i++) await new Promise((r) => setTimeout(r, 100));
  }
  cli('--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes');
  for (let i = 0; i < 100 && !ports.every((p) => /cluster_state:ok/.test(cli('-p', String(p), 'cluster', 'info'))); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  url = `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
}, 60_000);

afterAll(() => {
  for (const port of ports) {
    try {
      cli('-p', String(port), 'shutdown', 'nosave');
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the local Redis Cluster', () => {
  it('has three masters sharing the 16384 slots', () => {
    const info = cli('-p', String(ports[0]), 'cluster', 'info');
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_size:3/);
    expect(info).toMatch(/cluster_slots_assigned:16384/);
  });
});

describeCacheContract('Redis Cluster (3 masters)', { create: async () => new RedisCache(url, uniquePrefix()), announceTimeoutMs: 5000 });

describe('invalidation announcements across processes on the cluster', () => {
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(ok(), what).toBe(true);
  };

  it('reach the other process whichever node holds the namespace, also after its subscriber connection is cut', async () => {
    const prefix = uniquePrefix();
    const a = new RedisCache(url, prefix);
    const b = new RedisCache(url, prefix);
    try {
      const heard: string[] = [];
      b.onInvalidate((ns) => heard.push(ns));
      await until('subscribed', () => b.announcing());

      // Namespaces hash to slots on different masters; every invalidation reaches b.
      const namespaces = Array.from({ length: 12 }, (_, i) => `points:${i}`);
      const masters = new Set(namespaces.map((ns) => cli('-p', String(ports[0]), 'cluster', 'keyslot', `${prefix}:{${ns}}`).trim()).map((slot) => ownerOf(Number(slot))));
      expect(masters.size).toBe(3);
      await a.invalidateMany(namespaces);
      await until('every announcement received', () => namespaces.every((ns) => heard.includes(ns)));

      // An entry b cached is not served after a invalidates it.
      expect(await cached(b, 'points:0', 'k', 60, async () => 'v1')).toBe('v1');
      await a.invalidate('points:0');
      expect(await cached(b, 'points:0', 'k', 60, async () => 'v2')).toBe('v2');

      // Cut b's subscriber connection on whichever node holds it, as a node restart would.
      let killed = 0;
      for (const port of ports) {
        const admin = new Redis(port, '127.0.0.1');
        try {
          const clients = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
          for (const line of clients.split('\n').filter((l) => l.includes(`smarthydro-cache-${prefix}-sub `))) {
            await admin.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
            killed++;
          }
        } finally {
          admin.disconnect();
        }
      }
      expect(killed).toBe(1);
      heard.length = 0;
      await until('told that everything may have changed once subscribed again', () => b.announcing() && heard.includes(ALL_NAMESPACES));
      await a.invalidate('points:5');
      await until('announcements flow again', () => heard.includes('points:5'));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

/** The port of the master serving a slot. */
function ownerOf(slot: number): number {
  const slots = cli('-p', String(ports[0]), 'cluster', 'slots');
  // redis-cli prints each range as: start, end, then the master's ip, port, id (one value per line).
  const lines = slots.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = 0; i + 4 < lines.length; i++) {
    const start = Number(lines[i]);
    const end = Number(lines[i + 1]);
    if (Number.isInteger(start) && Number.isInteger(end) && lines[i + 2] === '127.0.0.1' && slot >= start && slot <= end) return Number(lines[i + 3]);
  }
  throw new Error(`no master found for slot ${slot}`);
}
