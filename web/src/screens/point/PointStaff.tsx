import { api } from '../../api.js';
import { formatDateTime, useI18n } from '../../i18n.js';
import { useSession } from '../../session.js';
import { useApi } from '../../useApi.js';
import type { Correction, List, PointSchema } from '../../types.js';
import { ErrorNote } from '../parts.js';

const json = (v: unknown) => JSON.stringify(v ?? {}, null, 2);

/** For staff: the point's schema (template, custom part, merged result) and the corrections made to its readings. */
export function PointStaff({ pointId, schema }: { pointId: number; schema: PointSchema | undefined }) {
  const { t, num } = useI18n();
  const { meta } = useSession();
  const template = useApi(
    (signal) =>
      schema?.template_id ? api<{ name: string; variables_config: unknown }>(`/schema-templates/${schema.template_id}`, { signal }) : Promise.resolve(undefined),
    [schema?.template_id],
  );
  const corrections = useApi((signal) => api<List<Correction>>(`/points/${pointId}/corrections`, { query: { limit: 50 }, signal }), [pointId]);
  return (
    <>
      <section aria-labelledby="schema-title">
        <h2 id="schema-title">{t('point.schema')}</h2>
        {!schema && <p className="muted">{t('app.noData')}</p>}
        {schema && (
          <div className="grid2">
            <div>
              <h3>
                {t('point.template')}
                {template.data ? `: ${template.data.name}` : ''}
              </h3>
              <pre tabIndex={0}>{json(template.data?.variables_config)}</pre>
            </div>
            <div>
              <h3>{t('point.custom')}</h3>
              <pre tabIndex={0}>{json(schema.custom_config)}</pre>
            </div>
            <div>
              <h3>{t('point.merged')}</h3>
              <pre tabIndex={0}>{json(schema.merged_config)}</pre>
            </div>
          </div>
        )}
      </section>
      <section aria-labelledby="corrections-title">
        <h2 id="corrections-title">{t('point.corrections')}</h2>
        {corrections.error && <ErrorNote error={corrections.error} retry={corrections.reload} />}
        {!corrections.loading && (corrections.data?.items.length ?? 0) === 0 && !corrections.error && <p className="muted">{t('app.noData')}</p>}
        {(corrections.data?.items.length ?? 0) > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('point.created')}</th>
                <th scope="col">{t('point.variable')}</th>
                <th scope="col">{t('point.action')}</th>
                <th scope="col">{t('point.period')}</th>
                <th scope="col" className="num">{t('point.value')}</th>
                <th scope="col">{t('point.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {corrections.data!.items.map((c) => (
                <tr key={c.id}>
                  <td>{formatDateTime(c.created_at, meta.timezone)}</td>
                  <td>{c.variable}</td>
                  <td>{c.action}</td>
                  <td>
                    {formatDateTime(String(c.from), meta.timezone)} – {formatDateTime(String(c.to), meta.timezone)}
                  </td>
                  <td className="num">{typeof c.value === 'number' ? num(c.value, 3) : '—'}</td>
                  <td>{c.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
