/**
 * The DGA MEE API as the reporter sees it: one POST per reading, and what DGA's answer means
 * (receipt, duplicate with the first receipt, refused credentials, retry later, rejected).
 */
import type { DgaRequest } from './payload.js';
import { classifyDgaAnswer, type DgaAnswer, type DgaOutcome } from './response.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The longest part of DGA's answer kept with a submission. */
const STORED_RESPONSE_CHARS = 4000;

export interface DgaClientOptions {
  /** Base URL of the DGA API; request paths are appended to it. */
  apiUrl: string;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
}

/** One exchange with DGA: the raw answer, its meaning, and what of it is stored with the submission. */
export interface DgaExchange {
  answer: DgaAnswer;
  outcome: DgaOutcome;
  httpStatus: number | null;
  /** The answer's body, cut to what is stored; null when no HTTP answer came. */
  response: string | null;
  /** Error code of a retryable outcome: why DGA could not be reached or could not take it now. */
  retryCode: 'DGA_TIMEOUT' | 'DGA_UNREACHABLE' | 'DGA_UNAVAILABLE';
}

export class DgaClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  readonly requestTimeoutMs: number;

  constructor(opts: DgaClientOptions) {
    this.baseUrl = opts.apiUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? fetch;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Sends one request and classifies the answer. Never throws for HTTP, timeout or network failures. */
  async send(request: DgaRequest): Promise<DgaExchange> {
    const answer = await this.post(request);
    return {
      answer,
      outcome: classifyDgaAnswer(answer),
      httpStatus: answer.kind === 'http' ? answer.status : null,
      response: answer.kind === 'http' ? answer.body.slice(0, STORED_RESPONSE_CHARS) : null,
      retryCode: answer.kind === 'timeout' ? 'DGA_TIMEOUT' : answer.kind === 'network' ? 'DGA_UNREACHABLE' : 'DGA_UNAVAILABLE',
    };
  }

  private async post(request: DgaRequest): Promise<DgaAnswer> {
    try {
      const res = await this.fetchImpl(this.baseUrl + request.path, {
        method: 'POST',
        headers: { ...request.headers },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      return { kind: 'http', status: res.status, body: await res.text() };
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { kind: 'network', message: cause?.code ?? cause?.message ?? (err as Error).message };
    }
  }
}
