import type { IncomingMessage } from '../../infra/bus/index.js';
import type { DeadLetterRow } from './measurement.repository.js';

/** Where a rejected reading sits: its point and variable (when known) and its time (when valid). */
export interface DeadLetterSubject {
  point_id: number | null;
  variable: string | null;
  ts: Date | null;
}

/**
 * The dead letter of a whole message (`index` unset) or of one reading in it. The fingerprint is the
 * message's bus position (plus the reading's index), so a re-delivered batch yields the same keys and
 * the database stores each dead letter once.
 */
export function deadLetter(
  message: Pick<IncomingMessage, 'topic' | 'partition' | 'offset'>,
  index: number | undefined,
  subject: DeadLetterSubject,
  problem: { code: string; reason: string },
  payload: unknown,
): DeadLetterRow {
  const position = `${message.topic}/${message.partition}/${message.offset}`;
  return {
    fingerprint: index === undefined ? position : `${position}/${index}`,
    point_id: subject.point_id,
    variable: subject.variable,
    ts: subject.ts && !Number.isNaN(subject.ts.getTime()) ? subject.ts.toISOString() : null,
    code: problem.code,
    reason: problem.reason,
    payload,
  };
}
