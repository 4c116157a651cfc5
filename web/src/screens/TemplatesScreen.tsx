import { useState, type FormEvent } from 'react';
import { allPages, api } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { useSession } from '../session.js';
import { useApi } from '../useApi.js';
import './registry/registry.css';
import { Field, FieldProblem, useSubmit, FormFooter, ListStatus } from './registry/forms.js';
import type { TemplateRow } from './registry/model.js';

const JSON_FIELDS = ['variables_config', 'well_defaults', 'dga_config'] as const;
const FIELDS = ['name', 'category', ...JSON_FIELDS] as const;
type Draft = Record<(typeof FIELDS)[number], string>;

const pretty = (v: unknown) => JSON.stringify(v ?? {}, null, 2);
const EXAMPLE = pretty({ caudal: { kind: 'flow', channel: 'caudal', unit: 'L/s', label: 'Caudal' } });

/** Staff: schema templates (variables, well defaults and DGA settings a point inherits), edited as JSON. */
export default function TemplatesScreen() {
  const { t } = useI18n();
  const { meta } = useSession();
  const list = useApi((signal) => allPages<TemplateRow>('/schema-templates', {}, signal), []);
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [draft, setDraft] = useState<Draft>({ name: '', category: '', variables_config: EXAMPLE, well_defaults: '{}', dga_config: '{}' });
  const submit = useSubmit();

  const open = (tpl: TemplateRow | null) => {
    submit.reset();
    setEditing(tpl ? tpl.id : 'new');
    setDraft(
      tpl
        ? { name: tpl.name, category: tpl.category, variables_config: pretty(tpl.variables_config), well_defaults: pretty(tpl.well_defaults), dga_config: pretty(tpl.dga_config) }
        : { name: '', category: '', variables_config: EXAMPLE, well_defaults: '{}', dga_config: '{}' },
    );
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const body: Record<string, unknown> = { name: draft.name.trim() };
      if (draft.category.trim()) body.category = draft.category.trim();
      for (const f of JSON_FIELDS) {
        try {
          body[f] = JSON.parse(draft[f] || '{}');
        } catch (err) {
          throw new FieldProblem(f, t('registry.template.badJson', { detail: (err as Error).message }));
        }
      }
      if (editing === 'new') await api('/schema-templates', { method: 'POST', body });
      else await api(`/schema-templates/${editing}`, { method: 'PATCH', body });
      setEditing(null);
      list.reload();
    });
  };
  const label: Record<(typeof FIELDS)[number], string> = {
    name: t('registry.template.name'),
    category: t('registry.template.category'),
    variables_config: t('registry.template.variables'),
    well_defaults: t('registry.template.wellDefaults'),
    dga_config: t('registry.template.dga'),
  };

  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">{t('registry.templates')}</h1>
      <div className="toolbar">
        <button type="button" onClick={() => open(null)}>
          {t('registry.template.new')}
        </button>
        {submit.done && <span role="status">{t('registry.saved')}</span>}
      </div>
      {editing !== null && (
        <form className="card registry-form" onSubmit={save} aria-labelledby="template-form-title" noValidate>
          <h2 id="template-form-title">{editing === 'new' ? t('registry.template.new') : t('registry.template.edit', { id: editing })}</h2>
          {FIELDS.map((f) => (
            <div key={f} className={JSON_FIELDS.includes(f as (typeof JSON_FIELDS)[number]) ? 'wide' : undefined}>
              <Field label={label[f]} name={f} problem={submit.problem} hint={f === 'variables_config' ? t('registry.template.variablesHint') : undefined}>
                {(a) =>
                  f === 'name' || f === 'category' ? (
                    <input {...a} required={f === 'name'} value={draft[f]} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} />
                  ) : (
                    <textarea {...a} spellCheck={false} rows={f === 'variables_config' ? 14 : 5} value={draft[f]} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} />
                  )
                }
              </Field>
            </div>
          ))}
          <FormFooter problem={submit.problem} fields={FIELDS} busy={submit.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <ListStatus list={list} />
      {list.data && (
        <table>
          <caption className="muted">{t('registry.count', { n: list.data.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{label.name}</th>
              <th scope="col">{label.category}</th>
              <th scope="col">{t('registry.template.variableKeys')}</th>
              <th scope="col">{t('registry.updated')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('registry.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((tpl) => (
              <tr key={tpl.id}>
                <td>{tpl.name}</td>
                <td>{tpl.category}</td>
                <td>{Object.keys((tpl.variables_config ?? {}) as object).join(', ') || '—'}</td>
                <td>{formatDateTime(tpl.updated_at, meta.timezone)}</td>
                <td>
                  <button type="button" className="link" onClick={() => open(tpl)} aria-label={t('registry.editNamed', { name: tpl.name })}>
                    {t('registry.edit')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
