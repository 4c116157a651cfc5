/** The registry and DGA shapes the staff screens read and write (snake_case, as the API sends them). */
import type { Role } from '../../types.js';

export interface ClientRow {
  id: number;
  name: string;
  rut: string;
  address: string | null;
  phone: string | null;
  email: string | null;
}

export interface ProjectRow {
  id: number;
  client_id: number;
  name: string;
  code_internal: string | null;
}

/** A point as GET /points/{id} answers it (secrets are never sent back: only whether they are set). */
export interface PointRow {
  id: number;
  project_id: number;
  client_id: number;
  title: string;
  latitude: number | null;
  longitude: number | null;
  is_telemetry_active: boolean;
  provider: string | null;
  frequency: number;
  provider_device: string | null;
  has_provider_token: boolean;
  dga_send: boolean;
  dga_standard: string | null;
  dga_type: string | null;
  dga_code: string | null;
  dga_granted_flow: number | null;
  dga_annual_volume: number | null;
  dga_shac: string | null;
  dga_informant_rut: string | null;
  has_dga_password: boolean;
  dga_company_rut: string | null;
  dga_start_date: string | null;
  updated_at: string;
}

export interface TemplateRow {
  id: number;
  name: string;
  category: string;
  well_defaults: unknown;
  variables_config: unknown;
  dga_config: unknown;
  updated_at: string;
}

export interface UserRow {
  id: number;
  email: string;
  name: string | null;
  role: Role;
  client_id: number | null;
  is_active: boolean;
  created_at: string;
}

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  scope: 'full' | 'ingest';
  point_ids: number[] | null;
  created_at: string;
  revoked_at: string | null;
}

export interface NewApiKey {
  id: number;
  name: string;
  key: string;
  prefix: string;
}

export interface ComplianceCounts {
  due: number;
  sent_on_time: number;
  sent_late: number;
  pending: number;
  failed: number;
  needs_attention: number;
  missing: number;
  on_time_pct: number | null;
}

export interface ComplianceReport {
  from: string;
  to: string;
  generated_at: string;
  timezone: string;
  points: (ComplianceCounts & {
    point_id: number;
    point_title: string;
    client_id: number;
    client_name: string;
    codigo_obra: string | null;
    standard: string;
  })[];
  clients: (ComplianceCounts & { client_id: number; client_name: string; points: number })[];
  totals: ComplianceCounts;
}

export interface SubmissionRow {
  id: number;
  point_id: number;
  point_title: string;
  client_id: number;
  codigo_obra: string | null;
  slot_at: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'needs_attention';
  attempts: number;
  receipt: string | null;
  sent_at: string | null;
  error_code: string | null;
  error_message: string | null;
}

export const PROVIDERS = ['twin', 'nettra', 'novus', 'push'] as const;
export const FREQUENCIES = [1, 5, 10, 60] as const;
export const DGA_STANDARDS = ['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS'] as const;
export const DGA_TYPES = ['SUBTERRANEO', 'SUPERFICIAL'] as const;
