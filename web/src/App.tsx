import { Suspense } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router-dom';
import { useI18n, describeZone, type Lang } from './i18n.js';
import { useSession } from './session.js';
import { canOpen, homeFor, ROUTES } from './routes.js';
import LoginScreen from './screens/LoginScreen.js';
import NotFoundScreen from './screens/NotFoundScreen.js';

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang">
      <span>{t('app.language')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="es-CL">Español</option>
        <option value="en">English</option>
      </select>
    </label>
  );
}

export function App() {
  const { user, meta, logout } = useSession();
  const { t } = useI18n();

  if (user === undefined) return <p className="loading">{t('app.loading')}</p>;
  if (user === null) {
    return (
      <>
        <header className="top">
          <span className="brand">{t('app.name')}</span>
          <LanguageSwitch />
        </header>
        <LoginScreen />
      </>
    );
  }

  const routes = ROUTES.filter((r) => canOpen(r, user.role));
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <span className="brand">{t('app.name')}</span>
        <nav aria-label={t('nav.main')}>
          <ul>
            {routes
              .filter((r) => r.nav)
              .map((r) => (
                <li key={r.path}>
                  <NavLink to={r.path}>{t(r.nav!)}</NavLink>
                </li>
              ))}
          </ul>
        </nav>
        <span className="zone">{t('app.zone', { zone: describeZone(meta.timezone) })}</span>
        <LanguageSwitch />
        <span className="who">
          {user.email} · {t(`role.${user.role}`)}
        </span>
        <button type="button" className="link" onClick={() => void logout()}>
          {t('nav.logout')}
        </button>
      </header>
      <main id="main">
        <Suspense fallback={<p className="loading">{t('app.loading')}</p>}>
          <Routes>
            <Route path="/" element={<Navigate to={homeFor(user.role)} replace />} />
            <Route path="/login" element={<Navigate to={homeFor(user.role)} replace />} />
            {routes.map((r) => (
              <Route key={r.path} path={r.path} element={<r.screen />} />
            ))}
            <Route path="*" element={<NotFoundScreen />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}
