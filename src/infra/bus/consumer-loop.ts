/** Pause before redelivering a failed batch: `base`, doubling per consecutive failure, at most 30 s. */
export function retryDelay(baseMs: number, failures: number): number {
  return Math.min(baseMs * 2 ** Math.min(failures - 1, 20), 30_000);
}

/** A wake-up signal for a consumer loop; a notify with nobody waiting is kept for the next wait. */
export class Wakeup {
  private waiters: (() => void)[] = [];
  private pending = false;

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    if (this.waiters.length === 0) {
      this.pending = true;
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Sleeps `ms`, returning early only when `stopping()` turns true (checked at every wake-up). */
export async function pauseUnlessStopped(ms: number, wakeup: Wakeup, stopping: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!stopping()) {
    const left = until - Date.now();
    if (left <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([wakeup.wait(), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }
}
