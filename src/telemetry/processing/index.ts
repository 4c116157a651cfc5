export * from './types.js';
export { parseNumber, parseBoolean, parseText, describeRaw } from './parse.js';
export { applyScaling, normalizeUnit, tidy } from './scaling.js';
export { toLitresPerSecond, averageFlowLs } from './flow.js';
export type { FlowConversion, TotalizerPoint } from './flow.js';
export { waterTableDepth, processLevel } from './level.js';
export {
  advanceTotalizer,
  counterVolume,
  emptyTotalizerState,
  isPulseChannel,
  lateReading,
  BACKLOG_GAP_MS,
  MAX_REMEMBERED_RESETS,
} from './totalizer.js';
export type { TotalizerLimits, TotalizerStep, CounterVolume } from './totalizer.js';
export { FLAG_PENALTY, qualityScore } from './quality.js';
export { processReading, processSeries, checkTimestamp, isTotalizer, FUTURE_TOLERANCE_MS } from './process.js';
export type { SeriesResult } from './process.js';
export { readingPart, type Applied } from './applied.js';
