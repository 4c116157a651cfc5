/**
 * Twin — TwinDimension TDATA, a ThingsBoard deployment. Logs in for a JWT (kept until shortly before
 * its `exp`), reads timeseries per device; history pages by moving startTs past the last ts.
 */
import type { DeviceRef, FetchResult, ProviderAccount, ProviderAdapter } from './provider.js';
import { ProviderRequestError, silentLogger, type HttpResponse, type ProviderLogger, type ResilientHttp } from './resilience.js';
import {
  DEFAULT_MAX_PAGES,
  ReadingSet,
  asFetchResult,
  expectSuccess,
  httpFor,
  isRecord,
  malformed,
  pagingStalled,
  parseJsonBody,
  tooManyPages,
  trimBaseUrl,
  type AdapterOptions,
} from './support.js';

export interface TwinOptions extends AdapterOptions {
  /** Clock used for token expiry. */
  now?: () => number;
  /** Renew this long before `exp` (at most half the token's lifetime). Default 60 s. */
  tokenRefreshMarginMs?: number;
  /** ThingsBoard proper mounts these at `/api/auth/login` and `/api/plugins/telemetry`. */
  paths?: { login?: string; telemetry?: string };
}

/** Assumed lifetime of a token whose `exp` cannot be read. */
const UNKNOWN_TOKEN_LIFETIME_MS = 10 * 60_000;

/** `exp` and `iat` (epoch ms) from a JWT payload, without verifying it. */
export function jwtTimes(token: string): { expMs?: number; iatMs?: number } {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (!isRecord(claims)) return {};
    return {
      expMs: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
      iatMs: typeof claims.iat === 'number' ? claims.iat * 1000 : undefined,
    };
  } catch {
    return {};
  }
}

interface RawPoint {
  ts: number;
  value: unknown;
}

interface SeriesPage {
  points: RawPoint[];
  /** Items the provider sent, usable or not: what decides whether the page was full. */
  served: number;
}

export class TwinAdapter implements ProviderAdapter {
  readonly name = 'twin' as const;
  readonly #base: string;
  readonly #http: ResilientHttp;
  readonly #logger: ProviderLogger;
  readonly #pageSize: number;
  readonly #maxPages: number;
  readonly #now: () => number;
  readonly #marginMs: number;
  readonly #loginPath: string;
  readonly #telemetryPath: string;
  #session: { token: string; renewAt: number } | undefined;
  #loggingIn: Promise<string> | undefined;

  constructor(
    private readonly account: ProviderAccount,
    opts: TwinOptions = {},
  ) {
    this.#base = trimBaseUrl(account.baseUrl);
    this.#http = httpFor('twin', opts);
    this.#logger = opts.logger ?? silentLogger;
    this.#pageSize = opts.pageSize ?? 1_000;
    this.#maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
    this.#now = opts.now ?? Date.now;
    this.#marginMs = opts.tokenRefreshMarginMs ?? 60_000;
    this.#loginPath = opts.paths?.login ?? '/login';
    this.#telemetryPath = opts.paths?.telemetry ?? '/telemetry';
  }

  latest(device: DeviceRef, channels: string[]): Promise<FetchResult> {
    return asFetchResult('twin', this.#secrets(), async () => {
      const deviceId = requireDeviceId(device);
      const set = new ReadingSet(channels);
      if (channels.length === 0) return set.toResult();
      const series = await this.#timeseries(deviceId, new URLSearchParams({ keys: channels.join(',') }), channels);
      for (const channel of channels) {
        for (const point of series.get(channel)?.points ?? []) this.#add(set, channel, point);
      }
      return set.toResult();
    });
  }

  history(device: DeviceRef, channels: string[], from: Date, to: Date): Promise<FetchResult> {
    return asFetchResult('twin', this.#secrets(), async () => {
      const deviceId = requireDeviceId(device);
      const set = new ReadingSet(channels);
      // One key per request: ThingsBoard applies `limit` per key, so keys would page at different speeds.
      await Promise.all(channels.map((channel) => this.#channelHistory(deviceId, channel, from, to, set)));
      return set.toResult();
    });
  }

  async #channelHistory(deviceId: string, channel: string, from: Date, to: Date, set: ReadingSet): Promise<void> {
    // ThingsBoard selects startTs <= ts < endTs; we want (from, to].
    let startTs = from.getTime() + 1;
    let endTs = to.getTime() + 1;
    for (let pageNo = 0; startTs < endTs; pageNo++) {
      if (pageNo >= this.#maxPages) throw tooManyPages('twin', channel, this.#maxPages, this.#pageSize);
      const query = new URLSearchParams({
        keys: channel,
        startTs: String(startTs),
        endTs: String(endTs),
        limit: String(this.#pageSize),
        agg: 'NONE',
        orderBy: 'ASC',
        asc: 'true',
      });
      const page = (await this.#timeseries(deviceId, query, [channel])).get(channel);
      if (!page || page.served < this.#pageSize) {
        for (const point of page?.points ?? []) this.#addWithin(set, channel, point, from, to);
        return;
      }
      const { points } = page;
      for (const point of points) this.#addWithin(set, channel, point, from, to);
      const first = points[0]?.ts ?? 0;
      const last = points[points.length - 1]?.ts ?? 0;
      // Ascending as asked; a deployment that ignores the order answers newest first, so page down instead.
      if (first <= last) {
        const next = points.reduce((max, p) => Math.max(max, p.ts), -Infinity) + 1;
        if (!(next > startTs)) throw pagingStalled('twin', channel);
        startTs = next;
      } else {
        const next = points.reduce((min, p) => Math.min(min, p.ts), Infinity);
        if (!(next < endTs)) throw pagingStalled('twin', channel);
        endTs = next;
      }
    }
  }

  #addWithin(set: ReadingSet, channel: string, point: RawPoint, from: Date, to: Date): void {
    if (point.ts > from.getTime() && point.ts <= to.getTime()) this.#add(set, channel, point);
  }

  #add(set: ReadingSet, channel: string, point: RawPoint): void {
    if (point.value === null || point.value === undefined) return;
    set.add({ channel, ts: new Date(point.ts), value: point.value });
  }

  /** GET timeseries with the session token; on 401 logs in again once and retries. */
  async #timeseries(deviceId: string, query: URLSearchParams, channels: string[]): Promise<Map<string, SeriesPage>> {
    const path = `${this.#telemetryPath}/DEVICE/${encodeURIComponent(deviceId)}/values/timeseries?${query}`;
    const label = `GET ${path}`;
    let token = await this.#token();
    let res = await this.#get(path, label, token);
    if (res.status === 401) {
      if (this.#session?.token === token) this.#session = undefined;
      this.#logger.debug({ provider: 'twin' }, 'token rejected, logging in again');
      token = await this.#token();
      res = await this.#get(path, label, token);
    }
    expectSuccess('twin', label, res, this.#secrets(token));
    return parseSeries(parseJsonBody('twin', label, res), channels, label, this.#logger);
  }

  #get(path: string, label: string, token: string): Promise<HttpResponse> {
    return this.#http.request({
      url: this.#base + path,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      label,
      secrets: this.#secrets(token),
    });
  }

  #token(): Promise<string> {
    if (this.#session && this.#now() < this.#session.renewAt) return Promise.resolve(this.#session.token);
    this.#loggingIn ??= this.#login().finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  async #login(): Promise<string> {
    const { username, password } = this.account;
    if (!username || !password) {
      throw new ProviderRequestError('twin: the account has no username and password configured', undefined, 'response');
    }
    const label = `POST ${this.#loginPath}`;
    const res = await this.#http.request({
      url: this.#base + this.#loginPath,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
      label,
      secrets: [password],
    });
    if (res.status === 401 || res.status === 403) {
      throw new ProviderRequestError(
        `twin: login rejected (HTTP ${res.status}); check the account's username and password`,
        res.status,
      );
    }
    expectSuccess('twin', label, res, [password]);
    const body = parseJsonBody('twin', label, res);
    if (!isRecord(body) || typeof body.token !== 'string' || body.token === '') throw malformed('twin', label, 'no token');
    const now = this.#now();
    const { expMs, iatMs } = jwtTimes(body.token);
    // Lifetime from the token's own iat/exp, so a skewed server clock does not matter.
    const lifetime =
      expMs === undefined ? UNKNOWN_TOKEN_LIFETIME_MS : Math.max(0, expMs - (iatMs ?? now));
    this.#session = { token: body.token, renewAt: now + lifetime - Math.min(this.#marginMs, lifetime / 2) };
    return body.token;
  }

  #secrets(token?: string): (string | undefined)[] {
    return [this.account.password, token ?? this.#session?.token];
  }
}

function requireDeviceId(device: DeviceRef): string {
  if (!device.deviceId) throw new ProviderRequestError('twin: the point has no device id', undefined, 'response');
  return device.deviceId;
}

function parseSeries(body: unknown, channels: string[], label: string, logger: ProviderLogger): Map<string, SeriesPage> {
  if (!isRecord(body)) throw malformed('twin', label, 'not an object');
  const out = new Map<string, SeriesPage>();
  for (const channel of channels) {
    const raw = body[channel];
    if (raw === undefined) continue;
    if (!Array.isArray(raw)) throw malformed('twin', label, `${channel} is not a list`);
    const points: RawPoint[] = [];
    let skipped = 0;
    for (const item of raw) {
      if (isRecord(item) && typeof item.ts === 'number' && Number.isFinite(item.ts)) points.push({ ts: item.ts, value: item.value });
      else skipped++;
    }
    if (skipped > 0) logger.warn({ provider: 'twin', channel, skipped }, 'readings without a usable ts skipped');
    out.set(channel, { points, served: raw.length });
  }
  return out;
}
