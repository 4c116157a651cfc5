import type { ReactNode } from 'react';
import { useI18n } from '../../i18n.js';
import { money, type Quote, type Invoice } from './common.js';
import { formatDecimal } from '../../../../src/erp/format.js';

type Doc = Pick<Quote | Invoice, 'currency' | 'items' | 'subtotal' | 'tax_rate' | 'tax_amount' | 'total' | 'total_clp'>;

/** A saved quote's or invoice's lines, as the server computed them. */
export function DocumentItems({ doc }: { doc: Doc }) {
  const { t } = useI18n();
  return (
    <table data-testid="document-items">
      <caption className="sr-only">{t('erp.items')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('erp.item.description')}</th>
          <th scope="col" className="num">{t('erp.item.quantity')}</th>
          <th scope="col" className="num">{t('erp.item.unitPrice')}</th>
          <th scope="col" className="num">{t('erp.item.discount')}</th>
          <th scope="col" className="num">{t('erp.item.lineTotal')}</th>
        </tr>
      </thead>
      <tbody>
        {doc.items.map((i) => (
          <tr key={i.position}>
            <td>{i.description}</td>
            <td className="num">{formatDecimal(i.quantity)}</td>
            <td className="num">{money(i.unit_price, doc.currency)}</td>
            <td className="num">{formatDecimal(i.discount_percent)} %</td>
            <td className="num">{money(i.line_total, doc.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DocumentTotals({ doc, children }: { doc: Doc; children?: ReactNode }) {
  const { t } = useI18n();
  return (
    <dl className="totals" data-testid="document-totals">
      <div>
        <dt>{t('erp.subtotal')}</dt>
        <dd>{money(doc.subtotal, doc.currency)}</dd>
      </div>
      <div>
        <dt>{t('erp.tax', { rate: formatDecimal(doc.tax_rate) })}</dt>
        <dd>{money(doc.tax_amount, doc.currency)}</dd>
      </div>
      <div className="grand">
        <dt>{t('erp.total')}</dt>
        <dd data-testid="document-total">{money(doc.total, doc.currency)}</dd>
      </div>
      {doc.total_clp && (
        <div>
          <dt>{t('erp.totalClp')}</dt>
          <dd>{money(doc.total_clp, 'CLP')}</dd>
        </div>
      )}
      {children}
    </dl>
  );
}
