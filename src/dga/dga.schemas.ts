/** The DGA API's shapes, checked at the edge; the service and repository types are derived from them. */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Pagination, Timestamp } from '../http/schemas.js';
import { DGA_STANDARDS } from './types.js';

export type SubmissionStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'needs_attention';
export const SUBMISSION_STATUSES: readonly SubmissionStatus[] = ['pending', 'sending', 'sent', 'failed', 'needs_attention'];

const Status = Type.Union(SUBMISSION_STATUSES.map((s) => Type.Literal(s)));
const Standard = Type.Union(DGA_STANDARDS.map((s) => Type.Literal(s)));

/** Never carries the informante password: `payload` is stored with autenticacion.password masked. */
export const Submission = Type.Object({
  id: Type.Integer(),
  point_id: Type.Integer(),
  point_title: Type.String(),
  client_id: Type.Integer(),
  codigo_obra: Nullable(Type.String()),
  standard: Standard,
  slot_at: Timestamp,
  status: Status,
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_attempt_at: Nullable(Timestamp),
  receipt: Nullable(Type.String({ description: 'numeroComprobante' })),
  duplicate: Type.Boolean({ description: 'DGA already held the slot; the receipt was read from its answer' }),
  sent_at: Nullable(Timestamp),
  receipted_with_superseded_data: Type.Boolean({
    description: 'sent with a receipt, and staff corrected the readings of its window afterwards: rectify it with the DGA (it is never resent)',
  }),
  last_http_status: Nullable(Type.Integer()),
  last_response: Nullable(Type.String()),
  error_code: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  payload: Type.Unknown({ description: 'the last request sent: path, headers, body (password masked)' }),
  reading: Type.Unknown({ description: 'the numbers behind the payload and their sample times' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});
/** A submission as the API shows it: with the point's title, client and código de obra, without lease internals. */
export type SubmissionView = Static<typeof Submission>;

const Period = {
  from: Type.Optional(Type.String({ description: 'YYYY-MM-DD (local midnight in the report time zone) or ISO 8601; inclusive' })),
  to: Type.Optional(Type.String({ description: 'YYYY-MM-DD or ISO 8601; exclusive' })),
};

export const SubmissionQuery = Type.Object({
  ...Pagination,
  point_id: Type.Optional(Id()),
  client_id: Type.Optional(Id()),
  status: Type.Optional(Status),
  receipted_with_superseded_data: Type.Optional(Type.Boolean({ description: 'only receipted slots whose data was corrected after sending' })),
  ...Period,
});

export const ComplianceQuery = Type.Object({
  ...Period,
  client_id: Type.Optional(Id()),
  point_id: Type.Optional(Id()),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
});
export type ComplianceFilter = Omit<Static<typeof ComplianceQuery>, 'format'>;

const Counts = {
  due: Type.Integer(),
  sent_on_time: Type.Integer(),
  sent_late: Type.Integer(),
  pending: Type.Integer(),
  failed: Type.Integer(),
  needs_attention: Type.Integer(),
  missing: Type.Integer(),
  on_time_pct: Nullable(Type.Number()),
};

export const ComplianceReport = Type.Object({
  from: Timestamp,
  to: Timestamp,
  generated_at: Timestamp,
  timezone: Type.String(),
  on_time_rule: Type.Record(Type.String(), Type.String()),
  points: Type.Array(
    Type.Object({
      point_id: Type.Integer(),
      point_title: Type.String(),
      client_id: Type.Integer(),
      client_name: Type.String(),
      codigo_obra: Nullable(Type.String()),
      standard: Standard,
      ...Counts,
      receipted_with_superseded_data: Type.Integer({
        description: 'sent slots whose readings were corrected after sending; list them with GET /dga/submissions?receipted_with_superseded_data=true',
      }),
    }),
  ),
  clients: Type.Array(Type.Object({ client_id: Type.Integer(), client_name: Type.String(), points: Type.Integer(), ...Counts })),
  totals: Type.Object(Counts),
});
export type ComplianceReport = Static<typeof ComplianceReport>;

const NeedsAttention = Type.Object({
  id: Type.Integer(),
  point_id: Type.Integer(),
  point_title: Type.String(),
  codigo_obra: Nullable(Type.String()),
  slot_at: Timestamp,
  error_code: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  last_attempt_at: Nullable(Timestamp),
});
export type NeedsAttentionLine = Static<typeof NeedsAttention>;

export const DgaStatusSummary = Type.Object({
  counts: Type.Record(Status, Type.Integer()),
  retrying: Type.Integer({ description: 'failed rows with a retry scheduled' }),
  needs_attention: Type.Array(NeedsAttention),
  config_problems: Type.Array(
    Type.Object(
      { point_id: Type.Integer(), point_title: Type.String(), problems: Type.Array(Type.String()) },
      { description: 'a point with DGA sending on that cannot report, and why' },
    ),
  ),
  oldest_unsent_slot: Nullable(Timestamp),
  last_sent_at: Nullable(Timestamp),
});
export type DgaStatusSummary = Static<typeof DgaStatusSummary>;

export const RetryBody = Type.Object(
  {
    force: Type.Optional(
      Type.Boolean({ description: 'queue again a slot DGA answered 2xx without a readable receipt (it may already hold it)' }),
    ),
  },
  { additionalProperties: false },
);
