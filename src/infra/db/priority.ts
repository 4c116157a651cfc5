import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which work is waiting for someone: a request being answered (`interactive`) or background work
 * (collection, processing, rollups, the DGA reporter). Set for each API request; read by the embedded
 * database, which runs one statement or transaction at a time and lets a request's go first.
 */
const priority = new AsyncLocalStorage<'interactive'>();

/** Runs `fn` (and everything it starts) as work someone is waiting for. */
export function asInteractive<T>(fn: () => T): T {
  return priority.run('interactive', fn);
}

export function isInteractive(): boolean {
  return priority.getStore() === 'interactive';
}

/**
 * One holder at a time, like the embedded database's own lock, but a waiting request goes before
 * waiting background work (FIFO within each). So a poll of the dashboard waits for at most the statement
 * or transaction under way, not for the back-fill queued behind it. Background work is not starved: after
 * `fairAfter` requests in a row went first, one piece of background work does.
 */
export class PriorityGate {
  private busy = false;
  /** Right after a request's turn: held for its next statement (a request runs several in a row). */
  private reserved = false;
  private readonly interactive: (() => void)[] = [];
  private readonly background: (() => void)[] = [];
  private inARow = 0;

  constructor(private readonly fairAfter = 8) {}

  async run<T>(fn: () => Promise<T>, urgent = isInteractive()): Promise<T> {
    if (this.busy || (this.reserved && !urgent)) await new Promise<void>((resolve) => (urgent ? this.interactive : this.background).push(resolve));
    else {
      if (this.reserved) this.inARow++; // a request coming back within its reservation counts as going first
      this.busy = true;
      this.reserved = false;
    }
    try {
      return await fn();
    } finally {
      this.handOver(urgent);
    }
  }

  /** Waiting now: requests and background work. */
  waiting(): { interactive: number; background: number } {
    return { interactive: this.interactive.length, background: this.background.length };
  }

  private handOver(fromRequest: boolean): void {
    const fair = this.background.length > 0 && this.inARow >= this.fairAfter;
    if (this.interactive.length > 0 && !fair) {
      this.inARow++;
      this.interactive.shift()!(); // the gate stays busy: handed straight to the next holder
      return;
    }
    if (fromRequest && !fair && this.background.length > 0) {
      // The request usually comes back for its next statement within a turn or two of the event loop
      // (a dashboard runs several in a row): keep the gate for it that long before background work gets it.
      this.busy = false;
      this.reserved = true;
      setImmediate(() => setImmediate(() => this.release()));
      return;
    }
    this.giveToBackground();
  }

  /** End of a reservation nobody used. */
  private release(): void {
    if (!this.reserved) return;
    this.reserved = false;
    if (this.busy) return;
    if (this.interactive.length > 0 && !(this.background.length > 0 && this.inARow >= this.fairAfter)) {
      this.busy = true;
      this.inARow++;
      this.interactive.shift()!();
    } else this.giveToBackground();
  }

  private giveToBackground(): void {
    this.inARow = 0;
    const next = this.background.shift() ?? this.interactive.shift();
    this.busy = next !== undefined;
    next?.();
  }
}
