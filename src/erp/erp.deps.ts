import type { Db, Queryable } from '../infra/db/index.js';
import type { Clock } from '../lib/clock.js';
import { formatLocal } from '../lib/timezone.js';
import { ValidationError } from '../errors.js';
import { references } from './references.repository.js';
import type { CompanyInfo } from './pdf.js';

/** What every ERP service is built with. */
export interface ErpDeps {
  db: Db;
  clock: Clock;
  /** The platform's local zone: "today" for numbering years, validity and due dates. */
  timezone: string;
  /** The issuer shown on PDFs. */
  company: CompanyInfo;
}

/** Today's calendar date (YYYY-MM-DD) in the platform's zone. */
export function todayIn(deps: Pick<ErpDeps, 'clock' | 'timezone'>): string {
  return formatLocal(deps.clock.now(), deps.timezone).date;
}

/** 400 unless the client exists and the project (when given) is one of its projects. */
export async function checkClientProject(q: Queryable, clientId: number, projectId: number | null): Promise<void> {
  if (!(await references.clientExists(q, clientId))) throw new ValidationError(`client_id ${clientId} does not exist`, 'client_id');
  if (projectId === null) return;
  const owner = await references.projectClient(q, projectId);
  if (owner === undefined) throw new ValidationError(`project_id ${projectId} does not exist`, 'project_id');
  if (owner !== clientId) throw new ValidationError(`project ${projectId} belongs to client ${owner}, not to client ${clientId}`, 'project_id');
}
