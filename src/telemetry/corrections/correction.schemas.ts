/** Shapes of the corrections API, checked at the edge; the service's types are derived from them. */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../../http/schemas.js';
import { MAX_REASON_CHARS, MAX_VARIABLE_CHARS } from './correction.rules.js';

const Instant = Type.String({ maxLength: 40, description: 'ISO 8601 date-time with an offset, e.g. 2025-03-10T10:00:00Z' });
const Reason = Type.String({ maxLength: MAX_REASON_CHARS + 100, description: `why; required, at most ${MAX_REASON_CHARS} characters` });

export const CorrectionBody = Type.Object(
  {
    variable: Type.String({ maxLength: MAX_VARIABLE_CHARS }),
    ts: Type.Optional(Instant),
    from: Type.Optional(Instant),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'inclusive end of the range' })),
    action: Type.Optional(Type.Union([Type.Literal('set_value'), Type.Literal('invalidate')], { description: 'default set_value' })),
    value: Type.Optional(Nullable(Type.Number({ description: 'the corrected value (set_value)' }))),
    reason: Type.Optional(Reason),
  },
  {
    additionalProperties: false,
    description:
      'one reading: {variable, ts, value, reason} or {variable, ts, action: "invalidate", reason}; ' +
      'a range (inclusive, at most 366 days): {variable, from, to, action: "set_value" | "invalidate", value?, reason}',
  },
);
export type CorrectionBody = Static<typeof CorrectionBody>;

export const RevertBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export type RevertBody = Static<typeof RevertBody>;

export const CorrectionParams = Type.Object({ id: Id(), cid: Id() });

export const CorrectionQuery = Type.Object({
  variable: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_VARIABLE_CHARS })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
});
export type CorrectionQuery = Static<typeof CorrectionQuery>;

const Sample = Type.Object({ ts: Type.String({ format: 'date-time' }), value: Nullable(Type.Number()) });

export const Correction = Type.Object({
  id: Type.Integer(),
  point_id: Type.Integer(),
  variable: Type.String(),
  action: Type.Union([Type.Literal('set_value'), Type.Literal('invalidate'), Type.Literal('revert')]),
  from: Timestamp,
  to: Timestamp,
  value: Nullable(Type.Number({ description: 'set_value: the value the readings now have' })),
  reverts_id: Nullable(Type.Integer({ description: 'revert: the correction it undid' })),
  reverted_by: Nullable(Type.Integer({ description: 'the revert that undid this correction, if any' })),
  reason: Type.String(),
  user: Type.Object({ id: Nullable(Type.Integer()), email: Nullable(Type.String()) }, { description: 'who' }),
  created_at: Timestamp,
  readings: Type.Integer({ description: 'readings affected' }),
  before: Type.Array(Sample, { description: 'effective values before, of the first 100 readings affected' }),
  after: Type.Array(Sample, { description: 'effective values after (null: invalid), of the same readings' }),
});
export type Correction = Static<typeof Correction>;
