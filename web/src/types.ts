/** The API's shapes the screens read (snake_case as the API sends them). */

export type Role = 'admin' | 'operator' | 'client';

export interface User {
  id: number;
  email: string;
  name: string | null;
  role: Role;
  client_id: number | null;
  is_active: boolean;
}

export interface Meta {
  timezone: string;
  map_style_url: string | null;
}

export interface Client {
  id: number;
  name: string;
  rut: string;
}

export interface Project {
  id: number;
  client_id: number;
  name: string;
  code_internal: string | null;
}

export interface Point {
  id: number;
  project_id: number;
  client_id: number;
  title: string;
  latitude: number | null;
  longitude: number | null;
  is_telemetry_active: boolean;
  provider: string | null;
  frequency: number;
  dga_send: boolean;
  dga_standard: string | null;
  dga_type: string | null;
  dga_code: string | null;
  dga_granted_flow: number | null;
  dga_annual_volume: number | null;
  well_depth: number | null;
  updated_at: string;
}

export type PointStatusName = 'reporting' | 'late' | 'disconnected' | 'no_data' | 'inactive';

export interface PointStatus {
  point_id: number;
  status: PointStatusName;
  last_reading_at: string | null;
  dga_problem: boolean;
  dga_problem_reason: string | null;
}

export interface LatestVariable {
  variable: string;
  value: number | string | boolean | null;
  timestamp: string;
  quality_score: number;
}

export interface RawReading {
  variable: string;
  timestamp: string;
  value: number | null;
  quality_score: number;
  quality_flags: string[] | null;
}

export interface Bucket {
  timestamp: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  count: number;
  last: number | null;
}

export interface Series<T> {
  point_id: number;
  variable: string;
  bucket: string;
  from: string;
  to: string;
  items: T[];
  total: number;
}

export interface ConsumptionRow {
  period: string;
  start: string;
  end: string;
  volume_m3: number | null;
  avg_flow_ls: number | null;
  max_flow_ls: number | null;
  pct_of_granted_flow: number | null;
  max_pct_of_granted_flow: number | null;
  pct_of_annual_volume: number | null;
}

export interface Consumption {
  point_id: number;
  variable: string;
  period: string;
  timezone: string;
  granted_flow_ls: number | null;
  annual_volume_m3: number | null;
  items: ConsumptionRow[];
  summary: Omit<ConsumptionRow, 'period' | 'start' | 'end'>;
}

export interface Submission {
  id: number;
  point_id: number;
  point_title: string;
  codigo_obra: string | null;
  standard: string;
  slot_at: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'needs_attention';
  attempts: number;
  receipt: string | null;
  sent_at: string | null;
  error_message: string | null;
}

export interface Correction {
  id: number;
  variable: string;
  action: string;
  reason: string | null;
  created_at: string;
  [key: string]: unknown;
}

export interface PointSchema {
  point_id: number;
  template_id: number | null;
  custom_config: unknown;
  merged_config: unknown;
  updated_at: string;
}

export interface Dashboard {
  generated_at: string;
  kpis: { key: string; value: number | null; unit?: string }[];
  dga_queue: {
    pending: number;
    retrying: number;
    needs_attention: { submission_id: number; point_id: number; point_title: string; reason: string }[];
  };
  collection: { provider: string; last_tick_at: string | null; ticks_24h: number; failures_24h: number; last_error?: string | null }[];
}

export interface List<T> {
  items: T[];
  total: number;
}

export interface VariableDescription {
  variable: string;
  label: string;
  kind: string;
  role: 'flow' | 'totalizer' | 'level' | null;
  unit: string | null;
}
