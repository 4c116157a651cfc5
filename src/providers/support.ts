/** What the three adapters share: options, result building, response checks, paging guards. */
import type { FetchResult, ProviderName, ProviderReading } from './provider.js';
import {
  ProviderRequestError,
  ResilientHttp,
  redact,
  silentLogger,
  type HttpResponse,
  type ProviderLogger,
  type ResilienceOptions,
} from './resilience.js';

export interface AdapterOptions {
  /** Share one per provider so its concurrency limit and breaker cover every account. */
  http?: ResilientHttp;
  /** Used only when `http` is not given. */
  resilience?: Partial<ResilienceOptions>;
  logger?: ProviderLogger;
  /** Readings asked for per history request (keep within the provider's own cap). */
  pageSize?: number;
  /** A history needing more pages than this fails instead of running forever. */
  maxPages?: number;
}

export const DEFAULT_MAX_PAGES = 1_000;

export function httpFor(provider: ProviderName, opts: AdapterOptions): ResilientHttp {
  return opts.http ?? new ResilientHttp(provider, opts.resilience, opts.logger ?? silentLogger);
}

export function trimBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** Runs an adapter operation and maps any error to request_failed, with secrets removed. */
export async function asFetchResult(
  provider: ProviderName,
  secrets: readonly (string | undefined)[],
  op: () => Promise<FetchResult>,
): Promise<FetchResult> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ProviderRequestError) {
      return err.httpStatus === undefined
        ? { status: 'request_failed', error: redact(err.message, secrets) }
        : { status: 'request_failed', error: redact(err.message, secrets), httpStatus: err.httpStatus };
    }
    const message = err instanceof Error ? err.message : String(err);
    return { status: 'request_failed', error: redact(`${provider}: unexpected error: ${message}`, secrets) };
  }
}

/** Readings de-duplicated per channel and timestamp, returned oldest first. */
export class ReadingSet {
  readonly #byKey = new Map<string, ProviderReading>();

  constructor(private readonly channels: readonly string[]) {}

  /** Adds a reading; false when that channel already had one at that time. */
  add(reading: ProviderReading): boolean {
    const key = `${reading.channel}\u0000${reading.ts.getTime()}`;
    if (this.#byKey.has(key)) return false;
    this.#byKey.set(key, reading);
    return true;
  }

  toResult(): FetchResult {
    if (this.#byKey.size === 0) return { status: 'no_data' };
    const rank = new Map(this.channels.map((c, i) => [c, i]));
    const readings = [...this.#byKey.values()].sort(
      (a, b) => a.ts.getTime() - b.ts.getTime() || (rank.get(a.channel) ?? 0) - (rank.get(b.channel) ?? 0),
    );
    return { status: 'ok', readings };
  }
}

/** Throws unless the response is 2xx; the provider's own message is kept when it has one. */
export function expectSuccess(provider: ProviderName, label: string, res: HttpResponse, secrets: readonly (string | undefined)[]): void {
  if (res.status >= 200 && res.status < 300) return;
  const detail = providerMessage(res.body);
  throw new ProviderRequestError(
    redact(`${provider}: ${label} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, secrets),
    res.status,
  );
}

function providerMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

export function parseJsonBody(provider: ProviderName, label: string, res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    throw new ProviderRequestError(`${provider}: ${label} answered with a body that is not JSON`, res.status, 'response');
  }
}

export function malformed(provider: ProviderName, label: string, what: string): ProviderRequestError {
  return new ProviderRequestError(`${provider}: ${label} answered with an unexpected shape (${what})`, undefined, 'response');
}

/** Epoch milliseconds or an ISO 8601 string with a zone; undefined when neither. */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function tooManyPages(provider: ProviderName, channel: string, maxPages: number, pageSize: number): ProviderRequestError {
  return new ProviderRequestError(
    `${provider}: history of ${channel} needs more than ${maxPages} pages of ${pageSize}; ask for a shorter window`,
    undefined,
    'response',
  );
}

export function pagingStalled(provider: ProviderName, channel: string): ProviderRequestError {
  return new ProviderRequestError(
    `${provider}: paging the history of ${channel} made no progress (more readings at one instant than a page holds)`,
    undefined,
    'response',
  );
}
