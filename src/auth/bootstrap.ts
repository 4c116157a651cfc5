import type { Container } from '../container.js';
import { generatePassword } from './password.js';

export const DEMO_ADMIN_EMAIL = 'admin@smarthydro.local';

/**
 * Creates the first admin when there is none: from ADMIN_EMAIL/ADMIN_PASSWORD, or in demo mode
 * with a generated password returned so the caller can print it once.
 */
export async function ensureFirstAdmin(
  c: Container,
  demo: boolean,
): Promise<{ email: string; password?: string; created: boolean }> {
  const { adminEmail, adminPassword } = c.config;
  if ((await c.auth.countAdmins()) > 0) return { email: adminEmail ?? DEMO_ADMIN_EMAIL, created: false };
  if (adminEmail && adminPassword) {
    try {
      await c.auth.createUser('system', { email: adminEmail, password: adminPassword, role: 'admin', name: 'Administrator' });
    } catch (err) {
      // Another process starting at the same moment created it first.
      if ((await c.auth.countAdmins()) > 0) return { email: adminEmail, created: false };
      throw err;
    }
    return { email: adminEmail, created: true };
  }
  if (!demo) {
    c.logger.warn('no admin user exists: set ADMIN_EMAIL and ADMIN_PASSWORD and restart to create one');
    return { email: '', created: false };
  }
  const password = generatePassword();
  await c.auth.createUser('system', { email: DEMO_ADMIN_EMAIL, password, role: 'admin', name: 'Demo administrator' });
  return { email: DEMO_ADMIN_EMAIL, password, created: true };
}
