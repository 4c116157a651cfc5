/**
 * Deterministic well data for any device id at any time, computed in closed form.
 *
 * Each device id seeds a well: a pump that cycles on and off, a mean flow while it runs, a totalizer
 * that integrates that flow (reset to 0 once every ~2 months), and a water column above the level
 * sensor that is drawn down while pumping and recovers afterwards.
 */
import type { ProviderName } from '../provider.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lib/time.js';

export type ChannelKind = 'flow' | 'totalizer' | 'pulses' | 'level';

export interface SimulatorChannel {
  kind: ChannelKind;
  unit: 'L/s' | 'm3/h' | 'm3' | 'pulses' | 'm';
  label: string;
  /** Litres per pulse (pulses channels): m³ = pulses × pulsesFactor / 1000. */
  pulsesFactor?: number;
}

/**
 * The channel keys each simulated provider serves. Level channels report the water column above
 * the sensor (m), not the depth to water.
 */
export const SIMULATOR_CHANNELS = {
  twin: {
    caudal: { kind: 'flow', unit: 'L/s', label: 'Caudal' },
    totalizador: { kind: 'totalizer', unit: 'm3', label: 'Totalizador' },
    nivel: { kind: 'level', unit: 'm', label: 'Columna de agua sobre el sensor' },
  },
  nettra: {
    flow_m3h: { kind: 'flow', unit: 'm3/h', label: 'Caudal' },
    total_pulses: { kind: 'pulses', unit: 'pulses', label: 'Pulsos totalizador', pulsesFactor: 10 },
    level: { kind: 'level', unit: 'm', label: 'Columna de agua sobre el sensor' },
  },
  novus: {
    caudal: { kind: 'flow', unit: 'L/s', label: 'Caudal' },
    totalizador: { kind: 'totalizer', unit: 'm3', label: 'Totalizador' },
    nivel: { kind: 'level', unit: 'm', label: 'Columna de agua sobre el sensor' },
  },
} as const satisfies Record<ProviderName, Record<string, SimulatorChannel>>;

const ALL_CHANNELS: Record<string, SimulatorChannel> = {
  ...SIMULATOR_CHANNELS.twin,
  ...SIMULATOR_CHANNELS.nettra,
  ...SIMULATOR_CHANNELS.novus,
};

export function simulatorChannel(key: string): SimulatorChannel | undefined {
  return Object.hasOwn(ALL_CHANNELS, key) ? ALL_CHANNELS[key] : undefined;
}

const YEAR = 365.25 * DAY_MS;

export interface WellProfile {
  /** Readings fall on multiples of this interval since the epoch. */
  intervalMs: number;
  /** Mean flow while the pump runs. */
  flowLps: number;
  pumpCycleMs: number;
  /** Fraction of each cycle the pump runs. */
  pumpDuty: number;
  pumpPhaseMs: number;
  resetPeriodMs: number;
  resetPhaseMs: number;
  /** Water column above the sensor at rest (m), before the seasonal swing. */
  staticColumnM: number;
  seasonalSwingM: number;
  seasonPhase: number;
  /** Drawdown approached after a long run (m). */
  maxDrawdownM: number;
  drawdownTauMs: number;
}

/** FNV-1a, 32 bit. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A well-mixed 32-bit integer from two inputs (murmur3 finaliser). */
function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function unit(seed: number, salt: number): number {
  return mix(seed, salt) / 0x1_0000_0000;
}

/** Deterministic noise in [-1, 1) for one device, one purpose and one second. */
function noise(seed: number, salt: number, tsMs: number): number {
  const second = Math.floor(tsMs / 1000);
  return 2 * unit(mix(seed, salt), (second % 0x7fffffff) ^ Math.floor(second / 0x7fffffff)) - 1;
}

/**
 * Ids ending in `every<N>m` (e.g. `pozo-12-every5m`) report every N minutes; all others every minute.
 */
export function readingIntervalMs(deviceId: string): number {
  const match = /every(\d{1,4})m(?:in)?$/i.exec(deviceId);
  const minutes = match ? Number(match[1]) : 1;
  return Math.max(1, minutes) * MINUTE_MS;
}

const profiles = new Map<string, WellProfile>();

export function wellProfile(deviceId: string): WellProfile {
  const cached = profiles.get(deviceId);
  if (cached) return cached;
  const seed = hashString(deviceId);
  const between = (salt: number, lo: number, hi: number) => lo + (hi - lo) * unit(seed, salt);
  const pumpCycleMs = Math.round(between(2, 3, 8) * 4) * (HOUR_MS / 4);
  const resetPeriodMs = Math.round(between(5, 55, 66)) * DAY_MS;
  const profile: WellProfile = {
    intervalMs: readingIntervalMs(deviceId),
    flowLps: Math.round(between(1, 4, 45) * 10) / 10,
    pumpCycleMs,
    pumpDuty: Math.round(between(3, 0.35, 0.75) * 100) / 100,
    pumpPhaseMs: Math.floor(between(4, 0, pumpCycleMs / MINUTE_MS)) * MINUTE_MS,
    resetPeriodMs,
    resetPhaseMs: Math.floor(between(6, 0, resetPeriodMs / HOUR_MS)) * HOUR_MS + 17 * MINUTE_MS,
    staticColumnM: Math.round(between(7, 12, 70) * 10) / 10,
    seasonalSwingM: Math.round(between(8, 0.5, 2.5) * 10) / 10,
    seasonPhase: between(9, 0, 2 * Math.PI),
    maxDrawdownM: Math.round(between(10, 2, 9) * 10) / 10,
    drawdownTauMs: Math.round(between(11, 10, 40)) * MINUTE_MS,
  };
  if (profiles.size > 10_000) profiles.clear();
  profiles.set(deviceId, profile);
  return profile;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Pump run time accumulated over whole cycles up to t (relative to an arbitrary origin). */
function cumulativeRunMs(p: WellProfile, tsMs: number): number {
  const x = tsMs + p.pumpPhaseMs;
  const run = p.pumpCycleMs * p.pumpDuty;
  return Math.floor(x / p.pumpCycleMs) * run + Math.min(mod(x, p.pumpCycleMs), run);
}

export function isPumpOn(deviceId: string, tsMs: number): boolean {
  const p = wellProfile(deviceId);
  return mod(tsMs + p.pumpPhaseMs, p.pumpCycleMs) < p.pumpCycleMs * p.pumpDuty;
}

/** The most recent totalizer reset at or before t. */
export function lastResetMs(deviceId: string, tsMs: number): number {
  const p = wellProfile(deviceId);
  return Math.floor((tsMs - p.resetPhaseMs) / p.resetPeriodMs) * p.resetPeriodMs + p.resetPhaseMs;
}

/** Exact volume pumped since the last reset (m³), unrounded. */
export function pumpedVolumeM3(deviceId: string, tsMs: number): number {
  const p = wellProfile(deviceId);
  const runMs = cumulativeRunMs(p, tsMs) - cumulativeRunMs(p, lastResetMs(deviceId, tsMs));
  return ((p.flowLps / 1000) * runMs) / 1000;
}

function flowLps(deviceId: string, tsMs: number): number {
  if (!isPumpOn(deviceId, tsMs)) return 0;
  const p = wellProfile(deviceId);
  return p.flowLps * (1 + 0.03 * noise(hashString(deviceId), 101, tsMs));
}

function waterColumnM(deviceId: string, tsMs: number): number {
  const p = wellProfile(deviceId);
  const run = p.pumpCycleMs * p.pumpDuty;
  const position = mod(tsMs + p.pumpPhaseMs, p.pumpCycleMs);
  const drawdown =
    position < run
      ? p.maxDrawdownM * (1 - Math.exp(-position / p.drawdownTauMs))
      : p.maxDrawdownM * (1 - Math.exp(-run / p.drawdownTauMs)) * Math.exp(-(position - run) / p.drawdownTauMs);
  const resting = p.staticColumnM + p.seasonalSwingM * Math.sin((2 * Math.PI * tsMs) / YEAR + p.seasonPhase);
  return resting - drawdown + 0.02 * noise(hashString(deviceId), 202, tsMs);
}

const round = (value: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};

/**
 * The value a device reports on a channel at a time, as a number in the channel's unit; undefined
 * for a channel the simulator does not know. Flow is exactly 0 while the pump is off.
 */
export function simulatedValue(deviceId: string, channel: string, ts: Date | number): number | undefined {
  const spec = simulatorChannel(channel);
  if (!spec) return undefined;
  const tsMs = typeof ts === 'number' ? ts : ts.getTime();
  switch (spec.kind) {
    case 'flow': {
      const lps = flowLps(deviceId, tsMs);
      return spec.unit === 'm3/h' ? round(lps * 3.6, 2) : round(lps, 2);
    }
    case 'totalizer':
      return Math.floor(pumpedVolumeM3(deviceId, tsMs) * 10) / 10;
    case 'pulses':
      return Math.floor((pumpedVolumeM3(deviceId, tsMs) * 1000) / (spec.pulsesFactor ?? 1));
    case 'level':
      return round(waterColumnM(deviceId, tsMs), 2);
  }
}

export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

export interface ReadingQuery {
  deviceId: string;
  /** Both bounds inclusive. */
  startMs: number;
  endMs: number;
  order: 'asc' | 'desc';
  skip?: number;
  limit: number;
  /** Windows (inclusive) without readings. */
  gaps?: readonly TimeWindow[];
}

/**
 * The reading timestamps of a device inside [startMs, endMs] minus the gaps, in order, after `skip`,
 * at most `limit` — computed by index arithmetic, so any span costs only what it returns.
 */
export function readingTimes(q: ReadingQuery): number[] {
  const interval = wellProfile(q.deviceId).intervalMs;
  const segments = subtractWindows({ fromMs: q.startMs, toMs: q.endMs }, q.gaps ?? []);
  if (q.order === 'desc') segments.reverse();
  let skip = q.skip ?? 0;
  const out: number[] = [];
  for (const segment of segments) {
    const first = Math.ceil(segment.fromMs / interval);
    const last = Math.floor(segment.toMs / interval);
    const count = last - first + 1;
    if (count <= 0) continue;
    if (skip >= count) {
      skip -= count;
      continue;
    }
    for (let i = skip; i < count && out.length < q.limit; i++) {
      out.push((q.order === 'asc' ? first + i : last - i) * interval);
    }
    skip = 0;
    if (out.length >= q.limit) break;
  }
  return out;
}

/** `window` minus every gap, as ordered disjoint inclusive windows (gaps remove whole milliseconds). */
export function subtractWindows(window: TimeWindow, gaps: readonly TimeWindow[]): TimeWindow[] {
  let pieces: TimeWindow[] = window.fromMs <= window.toMs ? [window] : [];
  for (const gap of gaps) {
    const next: TimeWindow[] = [];
    for (const piece of pieces) {
      if (gap.toMs < piece.fromMs || gap.fromMs > piece.toMs) {
        next.push(piece);
        continue;
      }
      if (gap.fromMs > piece.fromMs) next.push({ fromMs: piece.fromMs, toMs: gap.fromMs - 1 });
      if (gap.toMs < piece.toMs) next.push({ fromMs: gap.toMs + 1, toMs: piece.toMs });
    }
    pieces = next;
  }
  return pieces.sort((a, b) => a.fromMs - b.fromMs);
}
