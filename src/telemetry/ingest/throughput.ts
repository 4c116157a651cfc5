import type { BatchResult } from './processor.service.js';

/** What the processor handled since the last summary. */
export interface ThroughputSummary {
  readings: number;
  stored: number;
  deadLetters: number;
  per_second: number;
}

/** Counts the processor's batches between two log summaries. */
export class ThroughputWindow {
  private readings = 0;
  private stored = 0;
  private deadLetters = 0;

  constructor(private since: number) {}

  add(result: Pick<BatchResult, 'readings' | 'stored' | 'deadLetters'>): void {
    this.readings += result.readings;
    this.stored += result.stored;
    this.deadLetters += result.deadLetters;
  }

  /** The window's figures (null when it saw no reading), and a new window from `now`. */
  roll(now: number): ThroughputSummary | null {
    const seconds = (now - this.since) / 1000;
    const summary = this.readings > 0
      ? { readings: this.readings, stored: this.stored, deadLetters: this.deadLetters, per_second: Math.round(this.readings / seconds) }
      : null;
    this.readings = this.stored = this.deadLetters = 0;
    this.since = now;
    return summary;
  }
}
