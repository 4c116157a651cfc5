import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  ProviderRequestError,
  ResilientHttp,
  Semaphore,
  backoffDelay,
  parseRetryAfter,
  redact,
  type ResilienceOptions,
} from './resilience.js';

type Responder = (call: number, init: RequestInit | undefined) => Promise<Response> | Response;

function harness(responder: Responder, options: Partial<ResilienceOptions> = {}) {
  const sleeps: number[] = [];
  let calls = 0;
  let clock = 1_000_000;
  const http = new ResilientHttp('test', {
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    maxRetryAfterMs: 5_000,
    timeoutMs: 1_000,
    breakerThreshold: 3,
    breakerCooldownMs: 10_000,
    random: () => 0.5,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    fetch: async (_url, init) => responder(++calls, init),
    ...options,
  });
  return {
    http,
    sleeps,
    calls: () => calls,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const ok = () => new Response('{"ok":true}', { status: 200 });
const status = (code: number, headers?: Record<string, string>) => new Response('nope', { status: code, headers });
const req = { url: 'http://provider.invalid/x', label: 'GET /x' };

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and uses full jitter', () => {
    expect(backoffDelay(0, 100, 1_000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 1_000, () => 0.999)).toBe(799);
    expect(backoffDelay(10, 100, 1_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 100, 1_000, () => 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-07-06T12:00:00Z');
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Mon, 06 Jul 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 06 Jul 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('redact', () => {
  it('removes secrets in plain and URL-encoded form', () => {
    expect(redact('GET /things/ab+cd/x failed ab%2Bcd', ['ab+cd'])).toBe('GET /things/***/x failed ***');
  });
});

describe('ResilientHttp retries', () => {
  it('retries 5xx with backoff and returns the eventual success', async () => {
    const h = harness((n) => (n < 3 ? status(503) : ok()));
    const res = await h.http.request(req);
    expect(res.status).toBe(200);
    expect(h.calls()).toBe(3);
    expect(h.sleeps).toEqual([50, 100]);
  });

  it('honours Retry-After seconds on 429, capped', async () => {
    const h = harness((n) => (n === 1 ? status(429, { 'retry-after': '2' }) : n === 2 ? status(429, { 'retry-after': '120' }) : ok()));
    await h.http.request(req);
    expect(h.sleeps).toEqual([2_000, 5_000]);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const h = harness((n) => (n === 1 ? status(503, { 'retry-after': new Date(1_000_000 + 3_000).toUTCString() }) : ok()), {
      now: () => 1_000_000,
    });
    await h.http.request(req);
    expect(h.sleeps).toEqual([3_000]);
  });

  it('does not retry other 4xx and hands them to the caller', async () => {
    const h = harness(() => status(404));
    const res = await h.http.request(req);
    expect(res.status).toBe(404);
    expect(h.calls()).toBe(1);
  });

  it('gives up after maxRetries with the last status', async () => {
    const h = harness(() => status(500));
    const err = await h.http.request(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect((err as ProviderRequestError).httpStatus).toBe(500);
    expect((err as ProviderRequestError).message).toContain('after 4 attempts');
    expect(h.calls()).toBe(4);
  });

  it('retries network errors and scrubs secrets from the message', async () => {
    const h = harness(() => {
      throw new TypeError('fetch failed for token s3cr3t-token');
    }, { maxRetries: 1 });
    const err = (await h.http.request({ ...req, secrets: ['s3cr3t-token'] }).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('network error');
    expect(err.message).not.toContain('s3cr3t-token');
    expect(h.calls()).toBe(2);
  });

  it('aborts an attempt that exceeds the timeout and retries it', async () => {
    const hang: Responder = (_n, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const h = harness(hang, { timeoutMs: 20, maxRetries: 1 });
    const err = (await h.http.request(req).catch((e: unknown) => e)) as ProviderRequestError;
    expect(err.reason).toBe('timeout');
    expect(err.message).toContain('timed out after 20 ms');
    expect(h.calls()).toBe(2);
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, half-opens after the cool-down, closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(2, 1_000, () => now);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    now = 1_000;
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false); // one trial at a time
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('reopens when the half-open trial fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker(1, 1_000, () => now);
    breaker.onFailure();
    now = 1_500;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    now = 2_000;
    expect(breaker.tryAcquire()).toBe(false);
    now = 2_500;
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('a success resets the failure count', () => {
    const breaker = new CircuitBreaker(2, 1_000, () => 0);
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    expect(breaker.state).toBe('closed');
  });

  it('fails calls fast while open and recovers through a trial call', async () => {
    let healthy = false;
    const h = harness(() => (healthy ? ok() : status(500)), { maxRetries: 0, breakerThreshold: 2 });
    await expect(h.http.request(req)).rejects.toThrow('HTTP 500');
    await expect(h.http.request(req)).rejects.toThrow('HTTP 500');
    const callsWhenOpened = h.calls();
    const err = (await h.http.request(req).catch((e: unknown) => e)) as ProviderRequestError;
    expect(err.reason).toBe('circuit_open');
    expect(h.calls()).toBe(callsWhenOpened);
    h.advance(10_000);
    healthy = true;
    expect((await h.http.request(req)).status).toBe(200);
    expect(h.http.breaker.state).toBe('closed');
  });
});

describe('concurrency limit', () => {
  it('Semaphore hands slots over in FIFO order', async () => {
    const sem = new Semaphore(1);
    const order: number[] = [];
    const first = await sem.acquire();
    const second = sem.acquire().then((release) => {
      order.push(2);
      return release;
    });
    const third = sem.acquire().then((release) => {
      order.push(3);
      release();
    });
    expect(sem.waiting).toBe(2);
    first();
    (await second)();
    await third;
    expect(order).toEqual([2, 3]);
    expect(sem.active).toBe(0);
  });

  it('never has more than maxConcurrent requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const h = harness(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return ok();
    }, { maxConcurrent: 3 });
    await Promise.all(Array.from({ length: 12 }, () => h.http.request(req)));
    expect(peak).toBe(3);
    expect(h.calls()).toBe(12);
    expect(h.http.inFlight).toBe(0);
  });
});
