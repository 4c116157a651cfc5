import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { allPages, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { useApi } from '../useApi.js';
import type { List, Point } from '../types.js';
import { ErrorNote } from './parts.js';
import { day, decimalInput, FieldMessage, money, Pager, useClientsAndProjects, type Equipment } from './erp/common.js';

const CATEGORIES = ['flowmeter', 'level_sensor', 'datalogger', 'modem', 'solar_panel', 'other'] as const;
const STATUSES = ['in_stock', 'installed', 'under_repair', 'retired'] as const;
const KINDS = ['preventive', 'corrective', 'calibration', 'inspection', 'other'] as const;
const PAGE = 50;

interface Maintenance {
  id: number;
  performed_on: string;
  kind: (typeof KINDS)[number];
  notes: string | null;
  cost: string | null;
  expense_number: string | null;
}

/** Equipment: the inventory (with warranty), a form to add one, and for the chosen one its assignment and maintenance. */
export default function EquipmentScreen() {
  const { t } = useI18n();
  const [offset, setOffset] = useState(0);
  const [expiring, setExpiring] = useState(false);
  const [chosen, setChosen] = useState<number | null>(null);
  const list = useApi(
    (signal) => api<List<Equipment>>('/equipment', { query: { limit: PAGE, offset, warranty_ends_within_days: expiring ? 30 : undefined }, signal }),
    [offset, expiring],
  );
  const { projectName } = useClientsAndProjects();
  const points = useApi((signal) => allPages<Point>('/points', {}, signal), []);
  const pointName = (id: number | null) => (id === null ? '—' : points.data?.find((p) => p.id === id)?.title ?? `#${id}`);
  const current = list.data?.items.find((e) => e.id === chosen);

  return (
    <section aria-labelledby="equipment-title">
      <h1 id="equipment-title">{t('erp.equipment.title')}</h1>
      <EquipmentForm onSaved={() => (setOffset(0), list.reload())} />
      <div className="toolbar">
        <label>
          <input type="checkbox" checked={expiring} onChange={(e) => (setExpiring(e.target.checked), setOffset(0))} /> {t('erp.equipment.expiringOnly')}
        </label>
      </div>
      {list.error && <ErrorNote error={list.error} retry={list.reload} />}
      {list.data && list.data.items.length === 0 && <p className="muted">{t('erp.none')}</p>}
      {list.data && list.data.items.length > 0 && (
        <table data-testid="equipment-table">
          <thead>
            <tr>
              <th scope="col">{t('erp.equipment.name')}</th>
              <th scope="col">{t('erp.equipment.serial')}</th>
              <th scope="col">{t('erp.category')}</th>
              <th scope="col">{t('erp.status')}</th>
              <th scope="col">{t('erp.equipment.warranty')}</th>
              <th scope="col">{t('erp.project')}</th>
              <th scope="col">{t('erp.point')}</th>
              <th scope="col"><span className="sr-only">{t('erp.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((e) => (
              <tr key={e.id} aria-current={e.id === chosen ? 'true' : undefined}>
                <td>{e.name}</td>
                <td>{e.serial_number}</td>
                <td>{t(`erp.equipment.cat.${e.category}`)}</td>
                <td>{t(`erp.equipment.st.${e.status}`)}</td>
                <td>
                  {day(e.warranty_expires)} {e.warranty_expires && (e.is_under_warranty ? '' : `(${t('erp.equipment.expired')})`)}
                </td>
                <td>{e.project_id === null ? '—' : projectName(e.project_id)}</td>
                <td>{e.point_id === null ? '—' : <Link to={`/points/${e.point_id}`}>{pointName(e.point_id)}</Link>}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => setChosen(e.id === chosen ? null : e.id)} aria-expanded={e.id === chosen}>
                    {t('erp.equipment.manage')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager offset={offset} total={list.data?.total ?? 0} page={PAGE} onChange={setOffset} />
      {current && <EquipmentDetail key={current.id} equipment={current} points={points.data ?? []} onChanged={list.reload} />}
    </section>
  );
}

function EquipmentForm({ onSaved }: { onSaved(): void }) {
  const { t } = useI18n();
  const empty = { name: '', serial_number: '', category: 'flowmeter', manufacturer: '', model: '', purchase_date: '', warranty_expires: '', status: 'in_stock' };
  const [f, setF] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof empty, v: string) => setF((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/equipment', {
        method: 'POST',
        body: {
          name: f.name.trim(),
          serial_number: f.serial_number.trim(),
          category: f.category,
          status: f.status,
          manufacturer: f.manufacturer.trim() || null,
          model: f.model.trim() || null,
          purchase_date: f.purchase_date || null,
          warranty_expires: f.warranty_expires || null,
        },
      });
      setF(empty);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const text = (k: 'name' | 'serial_number' | 'manufacturer' | 'model', label: string) => (
    <label>
      {label}
      <input value={f[k]} onChange={(e) => set(k, e.target.value)} aria-describedby={`err-eq-${k}`} />
      <FieldMessage error={error} field={k} id={`err-eq-${k}`} />
    </label>
  );
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="equipment-form-title" noValidate>
      <h2 id="equipment-form-title">{t('erp.equipment.new')}</h2>
      <div className="form-grid">
        {text('name', t('erp.equipment.name'))}
        {text('serial_number', t('erp.equipment.serial'))}
        <label>
          {t('erp.category')}
          <select value={f.category} onChange={(e) => set('category', e.target.value)}>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`erp.equipment.cat.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('erp.status')}
          <select value={f.status} onChange={(e) => set('status', e.target.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`erp.equipment.st.${s}`)}
              </option>
            ))}
          </select>
        </label>
        {text('manufacturer', t('erp.equipment.manufacturer'))}
        {text('model', t('erp.equipment.model'))}
        <label>
          {t('erp.equipment.purchased')}
          <input type="date" value={f.purchase_date} onChange={(e) => set('purchase_date', e.target.value)} aria-describedby="err-eq-purchase" />
          <FieldMessage error={error} field="purchase_date" id="err-eq-purchase" />
        </label>
        <label>
          {t('erp.equipment.warranty')}
          <input type="date" value={f.warranty_expires} onChange={(e) => set('warranty_expires', e.target.value)} aria-describedby="err-eq-warranty" />
          <FieldMessage error={error} field="warranty_expires" id="err-eq-warranty" />
        </label>
      </div>
      <p className="toolbar">
        <button type="submit" disabled={busy}>
          {t('erp.save')}
        </button>
        <FieldMessage error={error} field={null} id="err-eq-form" besideFields={['name', 'serial_number', 'manufacturer', 'model', 'purchase_date', 'warranty_expires']} />
      </p>
    </form>
  );
}

function EquipmentDetail({ equipment, points, onChanged }: { equipment: Equipment; points: Point[]; onChanged(): void }) {
  const { t } = useI18n();
  const { projects } = useClientsAndProjects();
  const [pointId, setPointId] = useState(equipment.point_id === null ? '' : String(equipment.point_id));
  const [projectId, setProjectId] = useState(equipment.project_id === null ? '' : String(equipment.project_id));
  const [assignError, setAssignError] = useState<unknown>(null);
  const maintenance = useApi((signal) => api<{ items: Maintenance[] }>(`/equipment/${equipment.id}/maintenance`, { signal }), [equipment.id]);
  const [m, setM] = useState({ performed_on: '', kind: 'preventive', notes: '', cost: '' });
  const [mError, setMError] = useState<unknown>(null);

  const assign = async (e: FormEvent) => {
    e.preventDefault();
    setAssignError(null);
    try {
      await api(`/equipment/${equipment.id}/assignments`, {
        method: 'POST',
        body: pointId ? { point_id: Number(pointId) } : { project_id: projectId ? Number(projectId) : null, point_id: null },
      });
      onChanged();
    } catch (err) {
      setAssignError(err);
    }
  };
  const record = async (e: FormEvent) => {
    e.preventDefault();
    setMError(null);
    try {
      await api(`/equipment/${equipment.id}/maintenance`, {
        method: 'POST',
        body: { performed_on: m.performed_on, kind: m.kind, notes: m.notes.trim() || null, ...(m.cost.trim() ? { cost: decimalInput(m.cost) } : {}) },
      });
      setM({ performed_on: '', kind: 'preventive', notes: '', cost: '' });
      maintenance.reload();
    } catch (err) {
      setMError(err);
    }
  };
  return (
    <div className="grid2">
      <form className="card" onSubmit={(e) => void assign(e)} aria-labelledby="assign-title" noValidate>
        <h2 id="assign-title">{t('erp.equipment.assign', { name: equipment.name })}</h2>
        <div className="form-grid">
          <label>
            {t('erp.project')}
            <select value={projectId} onChange={(e) => (setProjectId(e.target.value), setPointId(''))}>
              <option value="">{t('erp.equipment.stock')}</option>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('erp.point')}
            <select value={pointId} onChange={(e) => setPointId(e.target.value)} aria-describedby="err-as-point">
              <option value="">—</option>
              {points
                .filter((p) => !projectId || String(p.project_id) === projectId)
                .map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.title}
                  </option>
                ))}
            </select>
            <FieldMessage error={assignError} field="point_id" id="err-as-point" />
          </label>
        </div>
        <p className="toolbar">
          <button type="submit">{t('erp.equipment.assignSubmit')}</button>
          <FieldMessage error={assignError} field={null} id="err-as-form" besideFields={['point_id']} />
        </p>
      </form>
      <div className="card">
        <h2 id="maintenance-title">{t('erp.equipment.maintenance')}</h2>
        {maintenance.data && maintenance.data.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('erp.date')}</th>
                <th scope="col">{t('erp.equipment.kind')}</th>
                <th scope="col">{t('erp.notes')}</th>
                <th scope="col" className="num">{t('erp.equipment.cost')}</th>
              </tr>
            </thead>
            <tbody>
              {maintenance.data.items.map((r) => (
                <tr key={r.id}>
                  <td>{day(r.performed_on)}</td>
                  <td>{t(`erp.equipment.kind.${r.kind}`)}</td>
                  <td>{r.notes ?? '—'}</td>
                  <td className="num">{r.cost === null ? '—' : `${money(r.cost, 'CLP')}${r.expense_number ? ` (${r.expense_number})` : ''}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form onSubmit={(e) => void record(e)} aria-labelledby="maintenance-title" noValidate>
          <div className="form-grid">
            <label>
              {t('erp.date')}
              <input type="date" value={m.performed_on} onChange={(e) => setM({ ...m, performed_on: e.target.value })} aria-describedby="err-m-date" />
              <FieldMessage error={mError} field="performed_on" id="err-m-date" />
            </label>
            <label>
              {t('erp.equipment.kind')}
              <select value={m.kind} onChange={(e) => setM({ ...m, kind: e.target.value })}>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`erp.equipment.kind.${k}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('erp.equipment.cost')} (CLP)
              <input inputMode="decimal" value={m.cost} onChange={(e) => setM({ ...m, cost: e.target.value })} aria-describedby="err-m-cost" />
              <FieldMessage error={mError} field="cost" id="err-m-cost" />
            </label>
            <label>
              {t('erp.notes')}
              <input value={m.notes} onChange={(e) => setM({ ...m, notes: e.target.value })} />
            </label>
          </div>
          <p className="toolbar">
            <button type="submit">{t('erp.equipment.record')}</button>
            <FieldMessage error={mError} field={null} id="err-m-form" besideFields={['performed_on', 'cost']} />
          </p>
        </form>
      </div>
    </div>
  );
}
