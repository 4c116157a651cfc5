/**
 * HTTP resilience for provider APIs: a concurrency limit, a timeout per attempt, retries with
 * exponential backoff and full jitter (honouring Retry-After), and a circuit breaker.
 * One `ResilientHttp` per provider, shared by every adapter of that provider.
 */

export type Sleep = (ms: number) => Promise<void>;

export interface ResilienceOptions {
  /** Requests in flight at once against this provider. */
  maxConcurrent: number;
  /** Per attempt, headers and body included. */
  timeoutMs: number;
  /** Extra attempts after the first one. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider asking to wait longer than this gets this. */
  maxRetryAfterMs: number;
  /** Consecutive failed calls (retries exhausted) that open the breaker. */
  breakerThreshold: number;
  /** Time the breaker stays open before letting one trial call through. */
  breakerCooldownMs: number;
  sleep: Sleep;
  now: () => number;
  random: () => number;
  fetch: typeof fetch;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  maxConcurrent: 4,
  timeoutMs: 15_000,
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
  breakerThreshold: 5,
  breakerCooldownMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  random: Math.random,
  fetch: (input, init) => fetch(input, init),
};

/** pino-compatible subset. */
export interface ProviderLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLogger: ProviderLogger = { warn: () => {}, debug: () => {} };

/** Why a call to a provider did not produce a usable response. Messages never carry credentials. */
export class ProviderRequestError extends Error {
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly reason: 'timeout' | 'network' | 'http' | 'circuit_open' | 'response' = 'http',
  ) {
    super(message);
    this.name = 'ProviderRequestError';
  }
}

/** Full jitter: uniform in [0, min(max, base·2^attempt)). `attempt` counts from 0. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Replaces each secret (and its URL-encoded form) with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  return out;
}

export class Semaphore {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('Semaphore limit must be at least 1');
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a slot is free (FIFO). */
  async acquire(): Promise<() => void> {
    if (this.#active < this.limit) {
      this.#active++;
    } else {
      // The releasing holder hands its slot over, so #active stays unchanged.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    };
  }
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(
    readonly threshold: number,
    readonly cooldownMs: number,
    readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.cooldownMs) return 'half_open';
    return this.#state;
  }

  /** Whether a call may go out now. In half-open only one trial call is let through. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.#trialInFlight) return false;
    this.#state = 'half_open';
    this.#trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#trialInFlight = false;
  }

  onFailure(): void {
    this.#trialInFlight = false;
    if (this.#state === 'half_open') {
      this.#open();
      return;
    }
    this.#failures++;
    if (this.#failures >= this.threshold) this.#open();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.now();
  }
}

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Safe description of the target for logs and errors, e.g. `GET /v2/things/***\/resources/level`. */
  label: string;
  /** Scrubbed from any error text. */
  secrets?: readonly (string | undefined)[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
}

type Attempt =
  | { kind: 'response'; response: HttpResponse }
  | { kind: 'timeout' }
  | { kind: 'network'; detail: string };

export class ResilientHttp {
  readonly options: ResilienceOptions;
  readonly breaker: CircuitBreaker;
  readonly #limit: Semaphore;

  constructor(
    readonly provider: string,
    options: Partial<ResilienceOptions> = {},
    private readonly logger: ProviderLogger = silentLogger,
  ) {
    this.options = { ...DEFAULT_RESILIENCE, ...options };
    this.breaker = new CircuitBreaker(this.options.breakerThreshold, this.options.breakerCooldownMs, this.options.now);
    this.#limit = new Semaphore(this.options.maxConcurrent);
  }

  get inFlight(): number {
    return this.#limit.active;
  }

  /**
   * Resolves with any response that is not worth retrying (2xx, and 4xx other than 408/429: the caller
   * decides what those mean). Rejects with ProviderRequestError when retries are exhausted or the breaker is open.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const { provider, options } = this;
    if (!this.breaker.tryAcquire()) {
      throw new ProviderRequestError(
        `${provider}: circuit open after repeated failures; not calling ${req.label}`,
        undefined,
        'circuit_open',
      );
    }
    let failure: ProviderRequestError | undefined;
    for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
      const outcome = await this.#attempt(req);
      if (outcome.kind === 'response' && !isRetryableStatus(outcome.response.status)) {
        this.breaker.onSuccess();
        return outcome.response;
      }
      failure = this.#describe(req, outcome);
      if (attempt === options.maxRetries) break;
      const retryAfter =
        outcome.kind === 'response' ? parseRetryAfter(outcome.response.headers.get('retry-after'), options.now()) : undefined;
      const delayMs =
        retryAfter !== undefined
          ? Math.min(retryAfter, options.maxRetryAfterMs)
          : backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, options.random);
      this.logger.warn(
        { provider, target: req.label, attempt: attempt + 1, delayMs, reason: failure.message },
        'provider request failed, retrying',
      );
      await options.sleep(delayMs);
    }
    this.breaker.onFailure();
    const error = failure ?? new ProviderRequestError(`${provider}: ${req.label} failed`);
    const attempts = options.maxRetries + 1;
    throw new ProviderRequestError(
      `${error.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`,
      error.httpStatus,
      error.reason,
    );
  }

  async #attempt(req: HttpRequest): Promise<Attempt> {
    const release = await this.#limit.acquire();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    try {
      const res = await this.options.fetch(req.url, {
        method: req.method ?? 'GET',
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
      });
      const body = await res.text();
      return { kind: 'response', response: { status: res.status, headers: res.headers, body } };
    } catch (err) {
      if (timedOut) return { kind: 'timeout' };
      return { kind: 'network', detail: networkDetail(err) };
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  #describe(req: HttpRequest, outcome: Attempt): ProviderRequestError {
    const prefix = `${this.provider}: ${req.label}`;
    const secrets = req.secrets ?? [];
    switch (outcome.kind) {
      case 'timeout':
        return new ProviderRequestError(`${prefix} timed out after ${this.options.timeoutMs} ms`, undefined, 'timeout');
      case 'network':
        return new ProviderRequestError(redact(`${prefix} network error: ${outcome.detail}`, secrets), undefined, 'network');
      case 'response':
        return new ProviderRequestError(`${prefix} answered HTTP ${outcome.response.status}`, outcome.response.status);
    }
  }
}

function networkDetail(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string') return `${err.message} (${cause.code})`;
  if (cause && typeof cause.message === 'string') return `${err.message} (${cause.message})`;
  return err.message;
}
