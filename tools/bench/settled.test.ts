import { describe, expect, it } from 'vitest';
import { settledAt } from './role-process.js';

describe('when the processor consumer group settled', () => {
  it('is when the last member joined the newest generation', () => {
    const joins = [
      { at: 100, generation: 1 }, // the first member alone
      { at: 900, generation: 2 },
      { at: 950, generation: 2 },
    ];
    expect(settledAt(joins, 2)).toEqual({ at: 950, generation: 2 });
  });
  it('is unknown while the newest generation is not complete, or before any join', () => {
    expect(settledAt([{ at: 100, generation: 1 }, { at: 120, generation: 1 }, { at: 900, generation: 2 }], 2)).toBeNull();
    expect(settledAt([], 1)).toBeNull();
  });
  it('is the single join of a group of one', () => {
    expect(settledAt([{ at: 5, generation: 1 }], 1)).toEqual({ at: 5, generation: 1 });
  });
});
