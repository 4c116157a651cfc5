import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FixedClock } from '../../lib/clock.js';
import { DAY_MS } from '../../lib/time.js';
import { PartitionMaintenance } from './partition.maintenance.js';

function setup(at: string) {
  const calls: { ahead: [Date, number | undefined][]; dropBefore: Date[] } = { ahead: [], dropBefore: [] };
  const clock = new FixedClock(new Date(at));
  const maintenance = new PartitionMaintenance({
    measurements: {
      createAhead: async (now, ahead) => void calls.ahead.push([now, ahead]),
      dropPartitionsBefore: async (before) => (calls.dropBefore.push(before), ['measurements_2026_01']),
    },
    clock,
    logger: pino({ level: 'silent' }),
    retentionDays: 90,
  });
  return { calls, clock, maintenance };
}

describe('PartitionMaintenance', () => {
  it('creates partitions two months ahead of now and drops those ending before now minus the retention', async () => {
    const { calls, maintenance } = setup('2026-11-30T10:00:00Z');
    expect(await maintenance.run()).toEqual(['measurements_2026_01']);
    expect(calls.ahead).toEqual([[new Date('2026-11-30T10:00:00Z'), 2]]);
    expect(calls.dropBefore).toEqual([new Date(Date.parse('2026-11-30T10:00:00Z') - 90 * DAY_MS)]);
  });

  it('takes "now" from the clock at every run', async () => {
    const { calls, clock, maintenance } = setup('2026-11-30T10:00:00Z');
    await maintenance.start();
    clock.advance(DAY_MS);
    await maintenance.run();
    maintenance.stop();
    expect(calls.dropBefore.map((d) => d.toISOString())).toEqual(['2026-09-01T10:00:00.000Z', '2026-09-02T10:00:00.000Z']);
  });
});
