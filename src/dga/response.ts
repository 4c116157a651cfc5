/**
 * What a DGA answer means for a submission, and when to try again.
 *
 *   sent             200 status "00" with a receipt, or "Ya existe un registro … Comprobante: X"
 *                    (DGA already holds the slot: store X, never send it again)
 *   needs_attention  wrong informante, bad password or other auth refusals, or DGA accepted but
 *                    gave no receipt: an operator must act; no automatic retry
 *   rejected         any other 4xx (or 200 with a non-"00" status): retried at most once a day
 *   retryable        5xx, 408/425/429, timeouts, network errors: retried with backoff
 */

/** What came back from one POST. `body` is the raw response text. */
export type DgaAnswer =
  | { kind: 'http'; status: number; body: string }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string };

export type DgaAttentionCode = 'DGA_INFORMANTE_MISMATCH' | 'DGA_AUTH_REJECTED' | 'DGA_RECEIPT_MISSING' | 'DGA_ANSWER_UNREADABLE';

export type DgaOutcome =
  | { kind: 'sent'; receipt: string; duplicate: boolean; message: string }
  | { kind: 'needs_attention'; code: DgaAttentionCode; message: string; httpStatus: number }
  | { kind: 'rejected'; message: string; httpStatus: number }
  | { kind: 'retryable'; message: string; httpStatus: number | null };

const DUPLICATE = /ya\s+existe\s+un\s+registro/i;
const RECEIPT = /comprobante\s*[:#=]?\s*([a-z0-9][a-z0-9._\-/]*)/i;
const WRONG_INFORMANTE = /no\s+es\s+el\s+informante/i;
const AUTH_WORDS = /contrase[ñn]a|password|clave|credencial|autentica|autoriza|usuario\s+(?:no\s+existe|inv[aá]lido|bloqueado|incorrecto)/i;

/**
 * Reads DGA's duplicate message `Ya existe un registro en esa fecha, hora para la obra. Comprobante: X`,
 * tolerant of case, spacing and trailing punctuation. `receipt` is null when the text has none.
 */
export function parseDuplicateMessage(message: string | null | undefined): { duplicate: boolean; receipt: string | null } {
  if (!message || !DUPLICATE.test(message)) return { duplicate: false, receipt: null };
  const m = RECEIPT.exec(message);
  const receipt = m?.[1]?.replace(/[.\-/]+$/, '') ?? '';
  return { duplicate: true, receipt: receipt === '' ? null : receipt };
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function messageOf(json: Record<string, unknown> | null, raw: string): string {
  for (const key of ['message', 'mensaje', 'error', 'detail']) {
    const v = json?.[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return raw.trim().slice(0, 500);
}

function receiptOf(json: Record<string, unknown>): string | null {
  const data = json['data'];
  if (data === null || typeof data !== 'object') return null;
  const v = (data as Record<string, unknown>)['numeroComprobante'];
  const text = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  return text === '' ? null : text;
}

const isOkStatus = (v: unknown): boolean => v === '00' || v === '0' || v === 0;

export function classifyDgaAnswer(answer: DgaAnswer): DgaOutcome {
  if (answer.kind === 'timeout') return { kind: 'retryable', message: 'DGA did not answer in time', httpStatus: null };
  if (answer.kind === 'network') return { kind: 'retryable', message: `network error: ${answer.message}`, httpStatus: null };

  const { status, body } = answer;
  const json = parseJson(body);
  const message = messageOf(json, body);

  const duplicate = parseDuplicateMessage(message);
  if (duplicate.duplicate) {
    return duplicate.receipt
      ? { kind: 'sent', receipt: duplicate.receipt, duplicate: true, message }
      : { kind: 'needs_attention', code: 'DGA_RECEIPT_MISSING', message, httpStatus: status };
  }
  if (status >= 200 && status < 300) {
    if (!json) return { kind: 'needs_attention', code: 'DGA_ANSWER_UNREADABLE', message, httpStatus: status };
    if (isOkStatus(json['status'])) {
      const receipt = receiptOf(json);
      // Accepted without a receipt: sending again would be a resend, so a person decides.
      return receipt
        ? { kind: 'sent', receipt, duplicate: false, message }
        : { kind: 'needs_attention', code: 'DGA_RECEIPT_MISSING', message, httpStatus: status };
    }
  }
  if (WRONG_INFORMANTE.test(message)) {
    return { kind: 'needs_attention', code: 'DGA_INFORMANTE_MISMATCH', message, httpStatus: status };
  }
  if (status === 401 || status === 403 || AUTH_WORDS.test(message)) {
    return { kind: 'needs_attention', code: 'DGA_AUTH_REJECTED', message, httpStatus: status };
  }
  if (status >= 500 || status === 408 || status === 425 || status === 429) {
    return { kind: 'retryable', message, httpStatus: status };
  }
  if ((status >= 400 && status < 500) || (status >= 200 && status < 300)) {
    return { kind: 'rejected', message, httpStatus: status };
  }
  return { kind: 'retryable', message: message || `unexpected HTTP ${status}`, httpStatus: status };
}

export const RETRY_BASE_MS = 60_000;
export const RETRY_MAX_MS = 60 * 60_000;
export const REJECTED_RETRY_MS = 24 * 60 * 60_000;

/**
 * Wait before retry number `attempt` (1 = first retry) of a retryable failure:
 * 1, 2, 4, 8, 16, 32 min, then hourly.
 */
export function retryBackoffMs(attempt: number): number {
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(RETRY_BASE_MS * 2 ** (n - 1), RETRY_MAX_MS);
}

/**
 * When the slot may be sent again after `outcome`, given how many attempts have failed so far
 * (this one included); null when it must not be sent again automatically.
 */
export function nextAttemptAt(outcome: DgaOutcome, failedAttempts: number, now: Date): Date | null {
  switch (outcome.kind) {
    case 'retryable':
      return new Date(now.getTime() + retryBackoffMs(failedAttempts));
    case 'rejected':
      return new Date(now.getTime() + REJECTED_RETRY_MS);
    case 'sent':
    case 'needs_attention':
      return null;
  }
}

/**
 * A row without a receipt that DGA may nonetheless hold: it answered 2xx that could not be read, accepted
 * without a receipt, or said it already has the slot without quoting the receipt. Sending it again may be a resend
 * DGA penalises, so only an explicit decision (force) queues it again.
 */
export function mayBeHeldByDga(row: { receipt: string | null; last_http_status: number | null; error_code: string | null }): boolean {
  if (row.receipt !== null || row.error_code === 'DGA_RECEIPT_MISSING') return true;
  const accepted = row.last_http_status !== null && row.last_http_status >= 200 && row.last_http_status < 300;
  return accepted && row.error_code === 'DGA_ANSWER_UNREADABLE';
}
