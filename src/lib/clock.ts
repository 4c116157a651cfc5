/**
 * The time source of a service. Production uses `systemClock`; tests pass `fixedClock` (or their own)
 * so rules that depend on "now" (ticks, retention, DGA slots owed) are checked at chosen instants.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stays where it is put; `set`/`advance` move it. */
export class FixedClock implements Clock {
  #ms: number;
  constructor(at: Date | number) {
    this.#ms = typeof at === 'number' ? at : at.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  set(at: Date | number): void {
    this.#ms = typeof at === 'number' ? at : at.getTime();
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}
