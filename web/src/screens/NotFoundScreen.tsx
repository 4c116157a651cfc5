import { Link } from 'react-router-dom';
import { useI18n } from '../i18n.js';

export default function NotFoundScreen() {
  const { t } = useI18n();
  return (
    <section>
      <h1>{t('app.notFound')}</h1>
      <Link to="/map">{t('app.backToMap')}</Link>
    </section>
  );
}
