import { hostname } from 'node:os';
import type { Container } from '../container.js';
import { FREQUENCIES, TickClaims, tickAt } from '../telemetry/collection/ticks.js';
import type { RunningRole } from './api.js';

/**
 * The collector role: every tick of 1, 5, 10 and 60 minutes is claimed in the database by exactly one
 * collector process, which collects that frequency's active points. At start, and after the process
 * was not running (or was suspended) for a while, points behind their cursor are caught up at once.
 */
export async function startCollector(c: Container, opts: { loopMs?: number; now?: () => Date } = {}): Promise<RunningRole> {
  const now = opts.now ?? (() => new Date());
  const loopMs = opts.loopMs ?? 5_000;
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const claims = new TickClaims(c.db);
  const last = new Map<number, number>();
  const running = new Set<Promise<unknown>>();
  const busy = new Set<string>();
  let lastLoop = now().getTime();
  let stopped = false;
  const abort = new AbortController();

  const track = (key: string, work: () => Promise<unknown>) => {
    if (busy.has(key)) return;
    busy.add(key);
    const p = work()
      .catch((err: unknown) => c.logger.error({ err, work: key }, 'collection failed'))
      .finally(() => {
        busy.delete(key);
        running.delete(p);
      });
    running.add(p);
  };

  // Frequencies whose current tick this process claimed collect everything behind their cursors
  // anyway; catch-up covers the others (their tick was already taken, or is still minutes away).
  const claimedNow = new Set<number>();
  const catchUp = () =>
    track('catch-up', async () => {
      const stats = await c.collection.collectLagging(FREQUENCIES.filter((f) => !claimedNow.has(f)), abort.signal);
      if (stats.points > 0) c.logger.info({ ...stats }, 'catch-up collection done');
    });

  const loop = async () => {
    if (stopped) return;
    const t = now().getTime();
    if (t - lastLoop > Math.max(60_000, loopMs * 6)) {
      c.logger.warn({ paused_ms: t - lastLoop }, 'collector was not running for a while: catching up');
      claimedNow.clear();
      catchUp();
    }
    lastLoop = t;
    for (const f of FREQUENCIES) {
      const at = tickAt(new Date(t), f);
      if ((last.get(f) ?? -1) >= at.getTime()) continue;
      last.set(f, at.getTime());
      if (busy.has(`f${f}`)) {
        c.logger.warn({ frequency: f, tick: at }, 'previous tick still collecting; this tick is skipped (cursors make the next one collect everything)');
        continue;
      }
      track(`f${f}`, async () => {
        if (!(await claims.claim(f, at, owner))) return;
        claimedNow.add(f);
        const stats = await c.collection.collectFrequency(f, abort.signal);
        await claims.finish(f, at, stats);
        c.logger.info({ frequency: f, tick: at, ...stats }, 'tick collected');
      });
    }
  };

  await loop();
  // Let the claims of the current ticks settle before deciding what catch-up must cover.
  await new Promise((r) => setTimeout(r, 200));
  catchUp();
  const timer = setInterval(() => void loop(), loopMs);
  return {
    name: 'collector',
    async stop() {
      stopped = true;
      abort.abort();
      clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
