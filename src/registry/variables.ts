/**
 * One typed reading of a point's variables: the merged variables_config (template deep-merged with the
 * point's custom config) and the template's well defaults. Every consumer — collector, processor,
 * consumption, DGA — asks this module which variable is the totalizer, the flow, the level, and which
 * spike limit applies, so two reports about one point never use different variables.
 */

export const VARIABLE_KINDS = ['flow', 'totalizer', 'level', 'pulses', 'other'] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];
export const VALUE_TYPES = ['numeric', 'text', 'boolean'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export interface ValidRange {
  min?: number;
  max?: number;
}

export interface ProcessingSettings {
  /** channel value × scale ÷ divisor + offset, applied first. Defaults 1, 1 and 0. */
  scale?: number;
  offset?: number;
  /**
   * The legacy `calculate_nivel` ("n/base cálculo"): an integer the channel is divided by (a scale of 1/n),
   * for level and flow alike — level 2015 with divisor 100 is 20.15 m. A positive number; anything else is
   * ignored.
   */
  divisor?: number;
  /** Litres per pulse: m³ = pulses × pulses_factor / 1000. Required for pulse channels. */
  pulses_factor?: number;
  /** Force the m³/h → L/s conversion even when the unit does not say m3/h. */
  m3h_to_ls?: boolean;
  /** Checked against the stored value (L/s, m³ or m after every conversion). */
  valid_range?: ValidRange;
  /** Spike threshold of a totalizer; overrides the template's well_defaults.max_m3_per_hour. */
  max_m3_per_hour?: number;
  /** A totalizer drop not larger than this is meter jitter or backflow, not a reset. Default 0.01 m³. */
  reset_tolerance_m3?: number;
  /**
   * Level only. true (default): the channel is the water column above the sensor and the water table is
   * sensor position − column. false: the channel already is the depth to water.
   */
  level_from_sensor_position?: boolean;
  /**
   * Totalizers: what the DGA receives as totalizador. `meter` (default): the meter's own reading, without
   * the initial meter reading or reset offsets, as the regulator reads it on the meter. `accumulated`: the
   * continuous total, for loggers that count from the meter's installation.
   */
  dga_totalizer_source?: DgaTotalizerSource;
}

export const DGA_TOTALIZER_SOURCES = ['meter', 'accumulated'] as const;
export type DgaTotalizerSource = (typeof DGA_TOTALIZER_SOURCES)[number];

/** One entry of a point's merged variables_config, keyed by variable key. */
export interface VariableConfig {
  label?: string;
  kind: VariableKind;
  /** Unit of the CHANNEL, e.g. 'L/s', 'm3/h', 'm3', 'pulses', 'm'. */
  unit?: string;
  /** Default numeric. */
  value_type?: ValueType;
  /** Provider channel key. */
  channel: string;
  processing?: ProcessingSettings;
}

export interface Variable extends VariableConfig {
  key: string;
}

/** Settings of the point's template that apply to every variable unless the variable overrides them. */
export interface WellDefaults {
  max_m3_per_hour?: number;
}

export interface PointVariables {
  /** Every usable variable, sorted by key. */
  readonly all: readonly Variable[];
  readonly byKey: ReadonlyMap<string, Variable>;
  readonly wellDefaults: WellDefaults;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Reads a merged variables_config. An entry that is not an object with a known `kind` and a `channel` is
 * not a variable (it is not collected, and readings pushed for it are refused as unknown); unknown extra
 * fields are dropped.
 */
export function parseVariables(mergedConfig: unknown, wellDefaults?: unknown): PointVariables {
  const all: Variable[] = [];
  if (isObject(mergedConfig)) {
    for (const key of Object.keys(mergedConfig).sort()) {
      const variable = parseVariable(key, mergedConfig[key]);
      if (variable) all.push(variable);
    }
  }
  const defaults: WellDefaults = {};
  if (isObject(wellDefaults) && isPositiveNumber(wellDefaults.max_m3_per_hour)) {
    defaults.max_m3_per_hour = wellDefaults.max_m3_per_hour;
  }
  return { all, byKey: new Map(all.map((v) => [v.key, v])), wellDefaults: defaults };
}

function parseVariable(key: string, entry: unknown): Variable | null {
  if (!isObject(entry) || !VARIABLE_KINDS.includes(entry.kind as VariableKind)) return null;
  if (typeof entry.channel !== 'string' || entry.channel === '') return null;
  const v: Variable = { key, kind: entry.kind as VariableKind, channel: entry.channel };
  if (typeof entry.label === 'string') v.label = entry.label;
  if (typeof entry.unit === 'string') v.unit = entry.unit;
  if (VALUE_TYPES.includes(entry.value_type as ValueType)) v.value_type = entry.value_type as ValueType;
  if (isObject(entry.processing)) {
    const processing = entry.processing as ProcessingSettings;
    if (processing.divisor !== undefined && !isPositiveNumber(processing.divisor)) {
      const { divisor: _ignored, ...rest } = processing;
      v.processing = rest;
    } else {
      v.processing = processing;
    }
  }
  return v;
}

function firstOfKind(vars: PointVariables, kind: VariableKind): Variable | null {
  return vars.all.find((v) => v.kind === kind) ?? null;
}

/**
 * The variable volumes are read from: the first `totalizer` in key order, else the first `pulses`
 * (pulses are stored as a continuous m³ counter too). Key order, not config order: a jsonb object does
 * not keep the order the keys were written in.
 */
export function totalizerOf(vars: PointVariables): Variable | null {
  return firstOfKind(vars, 'totalizer') ?? firstOfKind(vars, 'pulses');
}

/** The instantaneous flow (L/s): the first `flow` variable in key order. */
export function flowOf(vars: PointVariables): Variable | null {
  return firstOfKind(vars, 'flow');
}

/** The water level (nivel freático, m): the first `level` variable in key order. */
export function levelOf(vars: PointVariables): Variable | null {
  return firstOfKind(vars, 'level');
}

/** Largest plausible totalizer rise without a setting, m³ per hour. */
export const DEFAULT_MAX_M3_PER_HOUR = 500;
/** A totalizer drop up to this many m³ is sensor noise, not a counter reset. */
export const DEFAULT_RESET_TOLERANCE_M3 = 0.01;

/** How a totalizer series is judged (spikes, noise): the processor and consumption use the same numbers. */
export interface CounterLimits {
  maxM3PerHour: number;
  resetToleranceM3: number;
}

/**
 * Largest plausible totalizer rise, m³ per hour: the variable's own `processing.max_m3_per_hour`, else the
 * template's `well_defaults.max_m3_per_hour`, else 500.
 */
export function spikeLimitOf(vars: PointVariables, variable: VariableConfig | null | undefined): number {
  const own = variable?.processing?.max_m3_per_hour;
  if (isPositiveNumber(own)) return own;
  return vars.wellDefaults.max_m3_per_hour ?? DEFAULT_MAX_M3_PER_HOUR;
}

/** The spike limit (above) and the reset tolerance (`processing.reset_tolerance_m3`, else 0.01 m³) of a totalizer. */
export function counterLimitsOf(vars: PointVariables, variable: VariableConfig | null | undefined): CounterLimits {
  const tolerance = variable?.processing?.reset_tolerance_m3;
  return {
    maxM3PerHour: spikeLimitOf(vars, variable),
    resetToleranceM3: typeof tolerance === 'number' && Number.isFinite(tolerance) && tolerance >= 0 ? tolerance : DEFAULT_RESET_TOLERANCE_M3,
  };
}

/** The DGA totalizador source of a totalizer variable: its `processing.dga_totalizer_source`, else `meter`. */
export function dgaTotalizerSourceOf(variable: VariableConfig | null | undefined): DgaTotalizerSource {
  return variable?.processing?.dga_totalizer_source === 'accumulated' ? 'accumulated' : 'meter';
}

/** Provider channel → the variables read from it (one channel may feed several variables). */
export function variablesPerChannel(vars: PointVariables): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const v of vars.all) {
    const list = out.get(v.channel);
    if (list) list.push(v.key);
    else out.set(v.channel, [v.key]);
  }
  return out;
}

/** What a variable stands for in charts and consumption: the point's one flow, totalizer and water level. */
export type VariableRole = 'flow' | 'totalizer' | 'level';
/** The unit stored values of each role are in, whatever the channel sends (m³/h and pulses are converted on the way in). */
export const STORED_UNITS: Record<VariableRole, string> = { flow: 'L/s', totalizer: 'm3', level: 'm' };

export interface VariableDescription {
  variable: string;
  label: string;
  kind: VariableKind;
  role: VariableRole | null;
  /** Unit of the stored values; null where the platform does not convert (variables without a role). */
  unit: string | null;
}

/** Every variable with its role (by totalizerOf, flowOf, levelOf) and the unit of its stored values. */
export function describeVariables(vars: PointVariables): VariableDescription[] {
  const roles = new Map<string, VariableRole>();
  for (const [role, v] of [['flow', flowOf(vars)], ['totalizer', totalizerOf(vars)], ['level', levelOf(vars)]] as const) {
    if (v) roles.set(v.key, role);
  }
  return vars.all.map((v) => {
    const role = roles.get(v.key) ?? null;
    return { variable: v.key, label: v.label ?? v.key, kind: v.kind, role, unit: role ? STORED_UNITS[role] : null };
  });
}
