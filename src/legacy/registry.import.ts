/**
 * The legacy registry (clients, projects, points, their profile and DGA configuration), applied parent
 * first on one connection. Every row ends in the report as imported, duplicate or rejected with a reason;
 * a rejected row's children are rejected with the reason of the root ("parent client 4 rejected").
 */
import type { SecretBox } from '../infra/secrets.js';
import { isValidCodigoObra, validatePointDga } from '../dga/validation.js';
import type { DumpRow } from './dumpdata.reader.js';
import { legacyVariableConfig, variableOfType } from './readings.js';
import { legacyCoordinates } from './coordinates.js';
import type { LegacyRepository } from './legacy.repository.js';
import type { ReportBuilder } from './report.js';
import { dgaStandardFrom, dgaTypeFrom, frequencyFrom, legacyRut, legacyTimestamp, parseLegacyTotal, providerFromFlags } from './rules.js';

export const M = {
  client: 'core.client',
  project: 'core.projectcatchments',
  point: 'core.catchmentpoint',
  profile: 'core.profiledataconfigcatchment',
  dga: 'core.dgadataconfigcatchment',
  scheme: 'core.schemescatchment',
  variable: 'core.variable',
} as const;

/** The order parents must be applied before their children. */
export const REGISTRY_MODELS: readonly string[] = [M.client, M.project, M.point, M.profile, M.dga, M.scheme, M.variable];

const PARENT_LABEL: Record<string, string> = {
  [M.client]: 'client', [M.project]: 'project', [M.point]: 'point', [M.scheme]: 'scheme', [M.variable]: 'variable',
};

export type Parent = { id: number; telemetryBlocked: boolean; detail: Record<string, unknown> | null } | { reason: string };

/** Trimmed text or null; NUL bytes (which PostgreSQL refuses in text, aborting the whole import) are removed. */
const text = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const t = v.replace(/\0/g, '').trim();
  return t === '' ? null : t;
};
const pkOf = (v: unknown): string | null => (typeof v === 'number' || typeof v === 'string' ? String(v) : null);

/** Numeric columns and the bound of their precision (numeric(8,2) holds |v| < 10^6). */
const PROFILE_NUMBERS = [
  ['d1', 'well_depth', 1e6],
  ['d2', 'pump_position', 1e6],
  ['d3', 'level_sensor_position', 1e6],
  ['d4', 'pipe_diameter', 1e6],
  ['d5', 'flowmeter_diameter', 1e6],
  ['d6', 'initial_meter_reading', 1e12],
] as const;

export class RegistryImport {
  /** `model:pk` of rejected rows → the reason their children are rejected with. */
  private readonly cascade = new Map<string, string>();
  /** Point id → the legacy `addition` (totalizer offset), applied by `finish`. */
  private readonly additions = new Map<number, number>();

  constructor(
    private readonly repo: LegacyRepository,
    private readonly secrets: SecretBox,
    private readonly report: ReportBuilder,
  ) {}

  async apply(row: DumpRow): Promise<void> {
    switch (row.model) {
      case M.client: return this.client(row);
      case M.project: return this.project(row);
      case M.point: return this.point(row);
      case M.profile: return this.profile(row);
      case M.dga: return this.dga(row);
      case M.scheme: return this.scheme(row);
      case M.variable: return this.variable(row);
      default: throw new RangeError(`not a registry model: ${row.model}`);
    }
  }

  private reject(row: DumpRow, reason: string, childReason = reason): void {
    this.report.reject(row.model, row.pk, reason);
    this.cascade.set(`${row.model}:${row.pk}`, childReason);
  }

  private note(row: DumpRow, field: string, from: unknown, to: unknown, reason: string): void {
    this.report.correct({ model: row.model, pk: row.pk, field, from, to, reason });
  }

  private async parent(model: string, ref: unknown): Promise<Parent> {
    const pk = pkOf(ref);
    const label = PARENT_LABEL[model]!;
    if (pk === null) return { reason: `no ${label}` };
    const cascaded = this.cascade.get(`${model}:${pk}`);
    if (cascaded) return { reason: cascaded };
    const mapped = await this.repo.mapped(model, pk);
    if (!mapped) return { reason: `${label} ${pk} not found in these files or an earlier import` };
    return { id: mapped.new_id, telemetryBlocked: mapped.telemetry_blocked, detail: mapped.detail };
  }

  /** Where a legacy reference went (measurement rows resolve their point or variable through it), or why nowhere. */
  resolve(model: string, ref: unknown): Promise<Parent> {
    return this.parent(model, ref);
  }

  /** Work left for after every registry row: the legacy `addition` of each point, once its variables are configured. */
  async finish(): Promise<void> {
    for (const [pointId, addition] of this.additions) await this.repo.setTotalizerOffset(pointId, addition);
  }

  private async alreadyImported(row: DumpRow): Promise<boolean> {
    if (!(await this.repo.mapped(row.model, String(row.pk)))) return false;
    this.report.count(row.model, 'duplicates');
    return true;
  }

  private async client(row: DumpRow): Promise<void> {
    const f = row.fields;
    const rut = legacyRut(f['rut']);
    if (!rut) return this.reject(row, `invalid RUT ${JSON.stringify(f['rut'] ?? null)}`, `parent client ${row.pk} rejected`);
    const name = text(f['name']);
    if (!name) return this.reject(row, 'no name', `parent client ${row.pk} rejected`);
    if (await this.alreadyImported(row)) return;
    const existing = await this.repo.clientIdByRut(rut);
    if (existing !== undefined) {
      await this.repo.map(row.model, String(row.pk), existing);
      this.report.count(row.model, 'duplicates');
      return;
    }
    const id = await this.repo.insertClient({ name, rut, address: text(f['address']), phone: text(f['phone']), email: text(f['email']) });
    await this.repo.map(row.model, String(row.pk), id);
    this.report.count(row.model, 'imported');
  }

  private async project(row: DumpRow): Promise<void> {
    const f = row.fields;
    const client = await this.parent(M.client, f['client']);
    if ('reason' in client) return this.reject(row, client.reason, client.reason.startsWith('parent ') ? client.reason : `parent project ${row.pk} rejected`);
    const name = text(f['name']);
    if (!name) return this.reject(row, 'no name', `parent project ${row.pk} rejected`);
    if (await this.alreadyImported(row)) return;
    const code = text(f['code_internal']);
    // Two legacy clients with one RUT share the new client: their projects with the same code are one project.
    const same = code === null ? undefined : await this.repo.projectIdByCode(client.id, code);
    if (same !== undefined) {
      await this.repo.map(row.model, String(row.pk), same);
      this.report.count(row.model, 'duplicates');
      return;
    }
    const id = await this.repo.insertProject({ client_id: client.id, name, code_internal: code });
    await this.repo.map(row.model, String(row.pk), id);
    this.report.count(row.model, 'imported');
  }

  private async point(row: DumpRow): Promise<void> {
    const f = row.fields;
    const project = await this.parent(M.project, f['project']);
    if ('reason' in project) return this.reject(row, project.reason, project.reason.startsWith('parent ') ? project.reason : `parent point ${row.pk} rejected`);
    const title = text(f['title']);
    if (!title) return this.reject(row, 'no title', `parent point ${row.pk} rejected`);
    if (await this.alreadyImported(row)) return;
    const provider = providerFromFlags(f);
    if (provider.problem) this.note(row, 'provider', { is_tdata: f['is_tdata'], is_thethings: f['is_thethings'], is_novus: f['is_novus'] }, null, provider.problem);
    const frequency = frequencyFrom(f['frecuency']);
    if (frequency.problem) this.note(row, 'frecuency', f['frecuency'] ?? null, frequency.minutes, frequency.problem);
    const coords = legacyCoordinates(f['lat'], f['lon']);
    for (const c of coords.corrections) this.note(row, c.field, c.from, c.to, c.reason);
    const id = await this.repo.insertPoint({
      project_id: project.id,
      title,
      latitude: coords.latitude,
      longitude: coords.longitude,
      provider: provider.provider,
      frequency: frequency.minutes,
      is_telemetry_active: false,
    });
    await this.repo.map(row.model, String(row.pk), id, !(provider.canCollect && frequency.canCollect));
    this.report.count(row.model, 'imported');
  }

  private number(row: DumpRow, field: string, bound: number): number | null | undefined {
    const raw = row.fields[field];
    if (raw === undefined) return undefined;
    if (raw === null || raw === '') return null;
    const v = parseLegacyTotal(raw);
    if (v === null || Math.abs(v) >= bound) {
      this.note(row, field, raw, null, v === null ? 'not a number, dropped' : 'out of range, dropped');
      return null;
    }
    return v;
  }

  private async profile(row: DumpRow): Promise<void> {
    const f = row.fields;
    const point = await this.parent(M.point, f['point_catchment']);
    if ('reason' in point) return this.reject(row, point.reason);
    if (await this.alreadyImported(row)) return;
    const values: Record<string, unknown> = {};
    for (const [field, column, bound] of PROFILE_NUMBERS) values[column] = this.number(row, field, bound);
    const token = text(f['token_service']);
    if (token) values['provider_token_enc'] = this.secrets.encrypt(token);
    const start = f['date_start_telemetry'];
    if (typeof start === 'string' && start.trim() !== '') {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(start.trim()) ? `${start.trim()}T00:00:00` : start;
      const at = legacyTimestamp(day);
      if (at) {
        values['telemetry_start_at'] = at.at;
        // The day reporting to DGA starts: the legacy system reported from the start of telemetry.
        values['dga_start_date'] = String(day).slice(0, 10);
      }
      else this.note(row, 'date_start_telemetry', start, null, 'not a date, dropped');
    }
    const wanted = f['is_telemetry'] === true;
    values['is_telemetry_active'] = wanted && !point.telemetryBlocked;
    if (wanted && point.telemetryBlocked) {
      this.note(row, 'is_telemetry', true, false, 'the point has no usable provider or frecuency: telemetry inactive');
    }
    const addition = parseLegacyTotal(f['addition']);
    if (addition !== null && addition !== 0) {
      // The legacy total was the meter's count plus `addition`: collected totals continue it without a jump.
      if (Math.abs(addition) < 1e12) this.additions.set(point.id, addition);
      else this.note(row, 'addition', f['addition'], null, 'out of range, dropped');
    }
    await this.repo.updatePoint(point.id, values);
    await this.repo.map(row.model, String(row.pk), point.id);
    this.report.count(row.model, 'imported');
  }

  private async dga(row: DumpRow): Promise<void> {
    const f = row.fields;
    const point = await this.parent(M.point, f['point_catchment']);
    if ('reason' in point) return this.reject(row, point.reason);
    if (await this.alreadyImported(row)) return;
    const standard = dgaStandardFrom(f['standard']);
    if (standard.problem) this.note(row, 'standard', f['standard'], standard.standard, standard.problem);
    const type = dgaTypeFrom(f['type_dga']);
    if (type === null && text(f['type_dga'])) this.note(row, 'type_dga', f['type_dga'], null, 'not SUBTERRANEO or SUPERFICIAL, dropped');
    let code = text(f['code_dga'])?.toUpperCase() ?? null;
    if (code !== null && !isValidCodigoObra(code)) {
      this.note(row, 'code_dga', f['code_dga'], null, 'not a código de obra (OB-0000-0), dropped');
      code = null;
    }
    const informant = legacyRut(f['rut_report_dga']);
    if (informant === null && text(f['rut_report_dga'])) this.note(row, 'rut_report_dga', f['rut_report_dga'], null, 'invalid RUT, dropped');
    const password = text(f['password_dga_software']);
    // The legacy system had no company RUT (rutEmpresa): the holder of the water right is the client.
    const context = await this.repo.pointDgaContext(point.id);
    if (code !== null && context.client_rut) this.note(row, 'dga_company_rut', null, context.client_rut, "the legacy system had none: the client's RUT");
    const columns = {
      dga_send: f['send_dga'] === true,
      dga_standard: standard.standard,
      dga_type: type,
      dga_code: code,
      dga_granted_flow: this.number(row, 'flow_granted_dga', 1e9) ?? null,
      dga_annual_volume: this.number(row, 'total_granted_dga', 1e13) ?? null,
      dga_shac: text(f['shac']),
      dga_informant_rut: informant,
      dga_company_rut: code !== null ? context.client_rut : null,
      dga_start_date: context.dga_start_date,
    };
    // Sending stays on only when the reporter could send: the same check the point API applies.
    if (columns.dga_send) {
      const problems = validatePointDga(columns, { hasPassword: password !== null });
      if (problems.length > 0) {
        columns.dga_send = false;
        this.note(row, 'send_dga', true, false, `DGA configuration incomplete: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
      }
    }
    await this.repo.updatePoint(point.id, { ...columns, dga_password_enc: password ? this.secrets.encrypt(password) : undefined });
    await this.repo.map(row.model, String(row.pk), point.id);
    this.report.count(row.model, 'imported');
  }

  /** A scheme's variables are configured on each of its points; a point that was not imported is skipped and noted. */
  private async scheme(row: DumpRow): Promise<void> {
    const refs = Array.isArray(row.fields['points_catchment']) ? (row.fields['points_catchment'] as unknown[]) : [];
    if (refs.length === 0) return this.reject(row, 'no points', `parent scheme ${row.pk} rejected`);
    if (await this.alreadyImported(row)) return;
    const ids = new Set<number>();
    let firstProblem: string | undefined;
    for (const ref of refs) {
      const point = await this.parent(M.point, ref);
      if ('id' in point) {
        ids.add(point.id);
        continue;
      }
      firstProblem ??= point.reason;
      this.note(row, 'points_catchment', ref, null, `point left out: ${point.reason}`);
    }
    if (ids.size === 0) {
      return this.reject(row, firstProblem!, firstProblem!.startsWith('parent ') ? firstProblem : `parent scheme ${row.pk} rejected`);
    }
    const pointIds = [...ids];
    await this.repo.addSchemePoints(String(row.pk), pointIds);
    await this.repo.map(row.model, String(row.pk), pointIds[0]!);
    this.report.count(row.model, 'imported');
  }

  private async variable(row: DumpRow): Promise<void> {
    const f = row.fields;
    const scheme = await this.parent(M.scheme, f['scheme_catchment']);
    if ('reason' in scheme) return this.reject(row, scheme.reason);
    const variable = variableOfType(f['type_variable']);
    if (!variable) {
      return this.reject(row, `type_variable ${JSON.stringify(f['type_variable'] ?? null)} has no SmartHydro variable (NIVEL, CAUDAL, CAUDAL_PROMEDIO, TOTALIZADO)`);
    }
    const channel = text(f['str_variable']);
    if (!channel) return this.reject(row, 'no str_variable (the provider channel)');
    if (await this.alreadyImported(row)) return;
    const points = await this.repo.schemePoints(pkOf(f['scheme_catchment'])!);
    for (const pointId of points) {
      if (await this.repo.hasPointVariable(pointId, variable)) {
        // Legacy pks only in reasons: new ids differ between a dry run and the real one.
        return this.reject(row, `another variable already configures ${variable} on the points of scheme ${pkOf(f['scheme_catchment'])}`);
      }
    }
    const pulses = parseLegacyTotal(f['pulses_factor']);
    if (pulses !== null && pulses !== 0 && pulses !== 1) {
      this.note(row, 'pulses_factor', f['pulses_factor'], null, 'not applied: imported values already carry it; set the pulse factor on the point if it collects pulses');
    }
    const config = legacyVariableConfig(f, variable, channel);
    for (const pointId of points) await this.repo.setPointVariable(pointId, variable, config);
    await this.repo.map(row.model, String(row.pk), points[0]!, false, { scheme: pkOf(f['scheme_catchment']), variable });
    this.report.count(row.model, 'imported');
  }
}
