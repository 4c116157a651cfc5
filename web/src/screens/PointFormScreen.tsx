import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { allPages, api } from '../api.js';
import { useI18n, type MessageKey } from '../i18n.js';
import { useSession } from '../session.js';
import { useApi } from '../useApi.js';
import { ErrorNote } from './parts.js';
import './registry/registry.css';
import { Field, FormError, numberOrNull, numberText, textOrNull, useSubmit } from './registry/forms.js';
import { DGA_STANDARDS, DGA_TYPES, FREQUENCIES, PROVIDERS, type ClientRow, type PointRow, type ProjectRow } from './registry/model.js';

const CoordinatePicker = lazy(() => import('./registry/CoordinatePicker.js'));

type Kind = 'text' | 'number' | 'bool' | 'select' | 'date' | 'secret';
interface Spec {
  name: string;
  kind: Kind;
  label: MessageKey;
  options?: readonly (string | number)[];
  /** Sent as a number (selects of numbers). */
  numeric?: boolean;
  group: 'point' | 'telemetry' | 'well' | 'dga';
}

/** The form's fields, in order, with the API's names. Secrets are write-only: empty keeps the stored one. */
const SPECS: readonly Spec[] = [
  { name: 'title', kind: 'text', label: 'registry.point.title', group: 'point' },
  { name: 'latitude', kind: 'number', label: 'registry.point.latitude', group: 'point' },
  { name: 'longitude', kind: 'number', label: 'registry.point.longitude', group: 'point' },
  { name: 'is_telemetry_active', kind: 'bool', label: 'registry.point.telemetryActive', group: 'telemetry' },
  { name: 'provider', kind: 'select', label: 'map.provider', options: PROVIDERS, group: 'telemetry' },
  { name: 'frequency', kind: 'select', label: 'registry.point.frequency', options: FREQUENCIES, numeric: true, group: 'telemetry' },
  { name: 'provider_device', kind: 'text', label: 'registry.point.device', group: 'telemetry' },
  { name: 'provider_token', kind: 'secret', label: 'registry.point.token', group: 'telemetry' },
  { name: 'well_depth', kind: 'number', label: 'registry.point.wellDepth', group: 'well' },
  { name: 'pump_position', kind: 'number', label: 'registry.point.pumpPosition', group: 'well' },
  { name: 'level_sensor_position', kind: 'number', label: 'registry.point.sensorPosition', group: 'well' },
  { name: 'pipe_diameter', kind: 'number', label: 'registry.point.pipeDiameter', group: 'well' },
  { name: 'flowmeter_diameter', kind: 'number', label: 'registry.point.flowmeterDiameter', group: 'well' },
  { name: 'initial_meter_reading', kind: 'number', label: 'registry.point.initialMeter', group: 'well' },
  { name: 'dga_send', kind: 'bool', label: 'registry.point.dgaSend', group: 'dga' },
  { name: 'dga_code', kind: 'text', label: 'point.dgaCode', group: 'dga' },
  { name: 'dga_standard', kind: 'select', label: 'point.standard', options: DGA_STANDARDS, group: 'dga' },
  { name: 'dga_type', kind: 'select', label: 'registry.point.dgaType', options: DGA_TYPES, group: 'dga' },
  { name: 'dga_granted_flow', kind: 'number', label: 'registry.point.grantedFlow', group: 'dga' },
  { name: 'dga_annual_volume', kind: 'number', label: 'registry.point.annualVolume', group: 'dga' },
  { name: 'dga_shac', kind: 'text', label: 'registry.point.shac', group: 'dga' },
  { name: 'dga_informant_rut', kind: 'text', label: 'registry.point.informantRut', group: 'dga' },
  { name: 'dga_password', kind: 'secret', label: 'registry.point.dgaPassword', group: 'dga' },
  { name: 'dga_company_rut', kind: 'text', label: 'registry.point.companyRut', group: 'dga' },
  { name: 'dga_start_date', kind: 'date', label: 'registry.point.dgaStart', group: 'dga' },
];
const FIELD_NAMES = ['project_id', ...SPECS.map((s) => s.name)];
const GROUPS: { group: Spec['group']; title: MessageKey }[] = [
  { group: 'point', title: 'registry.point.group.point' },
  { group: 'telemetry', title: 'registry.point.group.telemetry' },
  { group: 'well', title: 'registry.point.group.well' },
  { group: 'dga', title: 'registry.point.group.dga' },
];

type Draft = Record<string, string | boolean>;

function draftOf(p: PointRow | null): Draft {
  const d: Draft = { project_id: p ? String(p.project_id) : '' };
  const row = (p ?? {}) as unknown as Record<string, unknown>;
  for (const s of SPECS) {
    const v = row[s.name];
    if (s.kind === 'bool') d[s.name] = p ? Boolean(v) : false;
    else if (s.kind === 'secret') d[s.name] = '';
    else if (s.kind === 'number') d[s.name] = numberText(v as number | null | undefined);
    else if (s.name === 'frequency') d[s.name] = p ? String(v) : '5';
    else d[s.name] = v === null || v === undefined ? '' : String(v);
  }
  return d;
}

function valueOf(s: Spec, v: string | boolean): unknown {
  if (s.kind === 'bool') return v === true;
  const text = String(v);
  if (s.kind === 'number') return numberOrNull(text);
  if (s.numeric) return text === '' ? undefined : Number(text);
  if (s.name === 'title') return text.trim();
  return textOrNull(text);
}

/** The body to send: everything set for a new point; only what changed for an existing one. */
function bodyOf(draft: Draft, original: Draft | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (!original || draft.project_id !== original.project_id) {
    if (draft.project_id !== '') body.project_id = Number(draft.project_id);
  }
  for (const s of SPECS) {
    const v = draft[s.name]!;
    if (s.kind === 'secret' && v === '') continue;
    if (original && v === original[s.name]) continue;
    const value = valueOf(s, v);
    if (!original && (value === null || value === undefined)) continue;
    body[s.name] = value;
  }
  return body;
}

/** Staff: a point's registry data (new or existing), coordinates picked on a map, the API's messages beside the fields. */
export default function PointFormScreen() {
  const { id } = useParams();
  const isNew = id === undefined || id === 'new';
  const { t } = useI18n();
  const { meta } = useSession();
  const navigate = useNavigate();
  const point = useApi((signal) => (isNew ? Promise.resolve(null) : api<PointRow>(`/points/${id}`, { signal })), [id]);
  const projects = useApi((signal) => allPages<ProjectRow>('/projects', {}, signal), []);
  const clients = useApi((signal) => allPages<ClientRow>('/clients', {}, signal), []);
  const original = useMemo(() => (point.data ? draftOf(point.data) : null), [point.data]);
  const blank = useMemo(() => draftOf(null), []);
  // What the user typed, over the stored point: never a render of empty fields once the point is loaded.
  const [edits, setEdits] = useState<Draft | null>(null);
  const draft = edits ?? original ?? blank;
  const [showMap, setShowMap] = useState(false);
  const submit = useSubmit();

  // A reload after saving brings the stored values: they replace the edits that were saved.
  useEffect(() => setEdits(null), [original]);

  const set = (name: string, v: string | boolean) => setEdits((d) => ({ ...(d ?? draft), [name]: v }));
  const clientName = new Map((clients.data ?? []).map((c) => [c.id, c.name]));
  const lat = numberOrNull(String(draft.latitude));
  const lon = numberOrNull(String(draft.longitude));

  const save = (e: FormEvent) => {
    e.preventDefault();
    const body = bodyOf(draft, isNew ? null : original);
    void submit.run(async () => {
      if (isNew) {
        const created = await api<PointRow>('/points', { method: 'POST', body });
        navigate(`/admin/points/${created.id}`, { replace: true });
      } else if (Object.keys(body).length > 0) {
        await api<PointRow>(`/points/${id}`, { method: 'PATCH', body });
        point.reload();
      }
    });
  };

  const input = (s: Spec) => (
    <Field key={s.name} label={t(s.label)} name={s.name} problem={submit.problem} hint={s.kind === 'secret' ? t('registry.point.secretHint') : s.name === 'dga_code' ? 'OB-0602-7' : undefined}>
      {(a) =>
        s.kind === 'select' ? (
          <select {...a} value={String(draft[s.name])} onChange={(e) => set(s.name, e.target.value)}>
            {!s.numeric && <option value="">{t('registry.none')}</option>}
            {s.options!.map((o) => (
              <option key={o} value={o}>
                {s.name === 'frequency' ? t('map.minutes', { n: o }) : o}
              </option>
            ))}
          </select>
        ) : s.kind === 'bool' ? (
          <input {...a} type="checkbox" checked={draft[s.name] === true} onChange={(e) => set(s.name, e.target.checked)} />
        ) : (
          <input
            {...a}
            type={s.kind === 'secret' ? 'password' : s.kind === 'date' ? 'date' : 'text'}
            inputMode={s.kind === 'number' ? 'decimal' : undefined}
            autoComplete={s.kind === 'secret' ? 'new-password' : 'off'}
            required={s.name === 'title'}
            value={String(draft[s.name])}
            onChange={(e) => set(s.name, e.target.value)}
            data-testid={`point-form-${s.name}`}
          />
        )
      }
    </Field>
  );

  if (point.error) return <ErrorNote error={point.error} retry={point.reload} />;
  if (!isNew && !point.data) return <p className="loading">{t('app.loading')}</p>;
  return (
    <section aria-labelledby="point-form-title">
      <p>
        <Link to="/admin/points">{t('registry.points')}</Link>
        {!isNew && (
          <>
            {' · '}
            <Link to={`/points/${id}`}>{t('registry.point.open')}</Link>
          </>
        )}
      </p>
      <form className="card registry-form" onSubmit={save} noValidate aria-labelledby="point-form-title" data-testid="point-form">
        <h1 id="point-form-title">{isNew ? t('registry.point.new') : t('registry.point.editNamed', { name: point.data?.title ?? '' })}</h1>
        <Field label={t('map.project')} name="project_id" problem={submit.problem}>
          {(a) => (
            <select {...a} required value={String(draft.project_id)} onChange={(e) => set('project_id', e.target.value)}>
              <option value="">{t('registry.choose')}</option>
              {(projects.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {clientName.get(p.client_id) ?? p.client_id} · {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {GROUPS.map((g) => (
          <fieldset key={g.group} className="wide registry-form group">
            <legend>
              <h2>{t(g.title)}</h2>
            </legend>
            {SPECS.filter((s) => s.group === g.group).map(input)}
            {g.group === 'point' && (
              <div className="wide">
                <button type="button" className="secondary" aria-expanded={showMap} onClick={() => setShowMap((v) => !v)}>
                  {showMap ? t('registry.point.hideMap') : t('registry.point.pickOnMap')}
                </button>
                {showMap && (
                  <Suspense fallback={<p className="loading">{t('app.loading')}</p>}>
                    <p className="muted" id="picker-hint">
                      {t('registry.point.pickHint')}
                    </p>
                    <CoordinatePicker
                      latitude={typeof lat === 'number' ? lat : null}
                      longitude={typeof lon === 'number' ? lon : null}
                      styleUrl={meta.map_style_url}
                      label={t('registry.point.pickOnMap')}
                      unavailable={t('registry.point.mapUnavailable')}
                      onPick={(la, lo) => setEdits((d) => ({ ...(d ?? draft), latitude: String(la), longitude: String(lo) }))}
                    />
                  </Suspense>
                )}
              </div>
            )}
          </fieldset>
        ))}
        <FormError problem={submit.problem} fields={FIELD_NAMES} />
        <div className="toolbar">
          <button type="submit" disabled={submit.busy} data-testid="point-form-save">
            {t('registry.save')}
          </button>
          {submit.done && (
            <span role="status" data-testid="point-form-saved">
              {t('registry.saved')}
            </span>
          )}
        </div>
      </form>
    </section>
  );
}
