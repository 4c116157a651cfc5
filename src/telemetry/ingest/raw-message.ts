import type { ProviderName } from '../../providers/provider.js';

/** What the collector publishes on telemetry.raw.v1 (key: point id): raw readings of one point. */
export interface RawBatch {
  v: 1;
  point_id: number;
  provider: ProviderName | 'push' | 'bench';
  collected_at: string;
  readings: { variable: string; ts: string; raw: unknown }[];
}

/** At most this many readings per message: keeps messages well under Kafka's 1 MB default. */
export const MAX_READINGS_PER_MESSAGE = 2000;

export function encodeRawBatches(
  batch: Omit<RawBatch, 'v' | 'readings'>,
  readings: RawBatch['readings'],
  perMessage = MAX_READINGS_PER_MESSAGE,
) {
  const size = Math.max(1, Math.min(perMessage, MAX_READINGS_PER_MESSAGE));
  const out: { key: string; value: string }[] = [];
  for (let i = 0; i < readings.length; i += size) {
    const msg: RawBatch = { v: 1, ...batch, readings: readings.slice(i, i + size) };
    out.push({ key: String(batch.point_id), value: JSON.stringify(msg) });
  }
  return out;
}

/** Parses a bus message; returns a reason instead of throwing when it is not a RawBatch. */
export function decodeRawBatch(value: string): RawBatch | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { error: 'message is not valid JSON' };
  }
  const m = parsed as Partial<RawBatch>;
  if (typeof m !== 'object' || m === null) return { error: 'message is not an object' };
  if (m.v !== 1) return { error: `unsupported message version ${String(m.v)}` };
  if (!Number.isInteger(m.point_id)) return { error: 'point_id is missing or not an integer' };
  if (!Array.isArray(m.readings)) return { error: 'readings is missing or not a list' };
  return m as RawBatch;
}
