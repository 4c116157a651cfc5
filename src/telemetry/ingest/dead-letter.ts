import { createHash } from 'node:crypto';
import type { IncomingMessage } from '../../infra/bus/index.js';
import type { DeadLetterRow } from './measurement.repository.js';

/** Where a rejected reading sits: its point and variable (when known) and its time (when valid). */
export interface DeadLetterSubject {
  point_id: number | null;
  variable: string | null;
  ts: Date | null;
}

/**
 * The dead letter of a whole message (`index` unset) or of one reading in it. The fingerprint is a hash
 * of what was refused (the whole message's text, or the reading's point, variable, time, reason and
 * payload), so a re-delivered batch or the same file imported twice stores each dead letter once. It is
 * not the bus position: the in-process bus numbers messages from 0 again in every process, and a new
 * refusal must never be taken for one already recorded.
 */
export function deadLetter(
  message: Pick<IncomingMessage, 'topic' | 'value'>,
  index: number | undefined,
  subject: DeadLetterSubject,
  problem: { code: string; reason: string },
  payload: unknown,
): DeadLetterRow {
  const refused = index === undefined
    ? message.value
    : JSON.stringify([subject.point_id, subject.variable, subject.ts?.getTime() ?? null, problem.code, payload]);
  return {
    fingerprint: `${message.topic}/${createHash('sha256').update(refused).digest('base64url')}`,
    point_id: subject.point_id,
    variable: subject.variable,
    ts: subject.ts && !Number.isNaN(subject.ts.getTime()) ? subject.ts.toISOString() : null,
    code: problem.code,
    reason: problem.reason,
    payload,
  };
}
