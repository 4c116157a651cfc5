import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { MessageKey } from './i18n.js';
import type { Role } from './types.js';

export interface AppRoute {
  /** react-router path. */
  path: string;
  /** Each screen is its own file under screens/, loaded when first shown (keeps the first download small). */
  screen: LazyExoticComponent<ComponentType>;
  /** Who may open it; absent: every logged-in user. */
  roles?: readonly Role[];
  /** Shown in the navigation under this label (screens reached by links only have none). */
  nav?: MessageKey;
}

const STAFF: readonly Role[] = ['admin', 'operator'];

/** The application's screens: the one table the router and the navigation are built from. */
export const ROUTES: readonly AppRoute[] = [
  { path: '/map', screen: lazy(() => import('./screens/MapScreen.js')), nav: 'nav.map' },
  { path: '/dashboard', screen: lazy(() => import('./screens/DashboardScreen.js')), roles: STAFF, nav: 'nav.dashboard' },
  { path: '/points/:id', screen: lazy(() => import('./screens/PointScreen.js')) },
  // Registry (staff) and DGA compliance screens.
  { path: '/dga', screen: lazy(() => import('./screens/DgaComplianceScreen.js')), nav: 'nav.dga' },
  { path: '/admin/clients', screen: lazy(() => import('./screens/ClientsScreen.js')), roles: STAFF, nav: 'nav.clients' },
  { path: '/admin/projects', screen: lazy(() => import('./screens/ProjectsScreen.js')), roles: STAFF, nav: 'nav.projects' },
  { path: '/admin/points', screen: lazy(() => import('./screens/PointsAdminScreen.js')), roles: STAFF, nav: 'nav.points' },
  { path: '/admin/points/:id', screen: lazy(() => import('./screens/PointFormScreen.js')), roles: STAFF },
  { path: '/admin/templates', screen: lazy(() => import('./screens/TemplatesScreen.js')), roles: STAFF, nav: 'nav.templates' },
  { path: '/admin/users', screen: lazy(() => import('./screens/UsersScreen.js')), roles: ['admin'], nav: 'nav.users' },
  { path: '/admin/api-keys', screen: lazy(() => import('./screens/ApiKeysScreen.js')), roles: STAFF, nav: 'nav.apiKeys' },
  // ERP (issue 14): a client user reads its own quotes and invoices; the rest is staff's.
  { path: '/quotes', screen: lazy(() => import('./screens/QuotesScreen.js')), nav: 'nav.quotes' },
  { path: '/quotes/:id', screen: lazy(() => import('./screens/QuoteScreen.js')) },
  { path: '/invoices', screen: lazy(() => import('./screens/InvoicesScreen.js')), nav: 'nav.invoices' },
  { path: '/invoices/:id', screen: lazy(() => import('./screens/InvoiceScreen.js')) },
  { path: '/expenses', screen: lazy(() => import('./screens/ExpensesScreen.js')), roles: STAFF, nav: 'nav.expenses' },
  { path: '/equipment', screen: lazy(() => import('./screens/EquipmentScreen.js')), roles: STAFF, nav: 'nav.equipment' },
  { path: '/erp/report', screen: lazy(() => import('./screens/ErpReportScreen.js')), roles: STAFF, nav: 'nav.erpReport' },
];

/** Where a user lands after login: staff on the dashboard, clients on their map. */
export const homeFor = (role: Role) => (STAFF.includes(role) ? '/dashboard' : '/map');

export const canOpen = (route: AppRoute, role: Role) => !route.roles || route.roles.includes(role);
