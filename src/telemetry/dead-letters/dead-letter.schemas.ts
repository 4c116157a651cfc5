import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../../http/schemas.js';

export const DeadLetter = Type.Object({
  id: Type.Integer(),
  point_id: Nullable(Type.Integer()),
  variable: Nullable(Type.String()),
  ts: Nullable(Timestamp),
  code: Type.String({ description: 'machine-readable reason, e.g. unknown_variable, out_of_range' }),
  reason: Type.String(),
  payload: Type.Unknown({ description: 'the rejected raw reading (or message) as received' }),
  received_at: Timestamp,
});
export type DeadLetter = Static<typeof DeadLetter>;
