/**
 * A point's stored DGA settings → the configuration a slot is reported with, or the reasons it cannot
 * report. The reporter (before planning and before each send) and the status summary ask the same
 * question here, so they never disagree on whether a point can report.
 */
import { localMidnight } from '../lib/timezone.js';
import type { DgaPointRow } from './dga-point.repository.js';
import { dgaVariables, variableProblems, type DgaVariables } from './slot-reading.js';
import type { DgaPointConfig } from './types.js';
import { dgaInputOfPoint, parseDgaConfig } from './validation.js';
import type { PointVariables } from '../registry/variables.js';

export type PreparedPoint = { ok: true; config: DgaPointConfig; vars: DgaVariables } | { ok: false; problems: string[] };

export interface PointConfigSources {
  /** The zone the start date is a calendar date in. */
  tz: string;
  /** A point's variables (SchemaService.variables: the one typed reading of its merged config). */
  variables(pointId: number): Promise<PointVariables>;
  /** The variables of many points at once (SchemaService.variablesMany), for the planner's groups; optional. */
  variablesMany?(pointIds: readonly number[]): Promise<Map<number, PointVariables>>;
  /** The stored informante password in clear; throws when it cannot be decrypted. */
  password(encrypted: string): string;
}

export async function preparePoint(point: DgaPointRow, from: PointConfigSources): Promise<PreparedPoint> {
  let password: string | null = null;
  const problems: string[] = [];
  if (point.dga_password_enc) {
    try {
      password = from.password(point.dga_password_enc);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  let startDate: Date | null = null;
  if (point.dga_start_date) {
    try {
      startDate = localMidnight(point.dga_start_date, from.tz);
    } catch {
      problems.push(`dga_start_date ${point.dga_start_date} is not a date`);
    }
  }
  const parsed = parseDgaConfig(dgaInputOfPoint(point, { password, startDate }));
  if (!parsed.ok) problems.push(...parsed.errors.map((e) => `${e.field}: ${e.message}`));
  if (!parsed.ok || problems.length > 0) return { ok: false, problems };
  let variables: PointVariables;
  try {
    variables = await from.variables(point.id);
  } catch (err) {
    return { ok: false, problems: [`the point schema cannot be read: ${(err as Error).message}`] };
  }
  const fromVariable = dgaVariables(variables);
  // The point's own setting wins over its totalizer variable's.
  const vars = point.dga_totalizer_source ? { ...fromVariable, totalizerSource: point.dga_totalizer_source } : fromVariable;
  const varProblems = variableProblems(vars, parsed.config.type, parsed.config.standard);
  if (varProblems.length > 0) return { ok: false, problems: varProblems };
  return { ok: true, config: parsed.config, vars };
}
