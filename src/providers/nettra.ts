/**
 * Nettra — theThings.io. The thing token in the path is the credential, so URLs are redacted in
 * every log and error. Values come newest first; history pages backwards by moving endDate.
 */
import type { DeviceRef, FetchResult, ProviderAccount, ProviderAdapter } from './provider.js';
import { ProviderRequestError, silentLogger, type ProviderLogger, type ResilientHttp } from './resilience.js';
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
  parseTimestamp,
  tooManyPages,
  trimBaseUrl,
  type AdapterOptions,
} from './support.js';

/** theThings.io date parameter: `YYYYMMDDHHmmss` in UTC. */
export function formatThethingsDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

interface ResourceValue {
  ts: Date;
  value: unknown;
}

/** The API root of a Nettra base URL, given with or without its version (`…/v2`): request paths carry `/v2`. */
export function nettraBaseUrl(baseUrl: string): string {
  return trimBaseUrl(baseUrl).replace(/\/v2$/i, '');
}

export class NettraAdapter implements ProviderAdapter {
  readonly name = 'nettra' as const;
  readonly #base: string;
  readonly #http: ResilientHttp;
  readonly #logger: ProviderLogger;
  readonly #pageSize: number;
  readonly #maxPages: number;

  constructor(account: ProviderAccount, opts: AdapterOptions = {}) {
    this.#base = nettraBaseUrl(account.baseUrl);
    this.#http = httpFor('nettra', opts);
    this.#logger = opts.logger ?? silentLogger;
    this.#pageSize = opts.pageSize ?? 500;
    this.#maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  }

  latest(device: DeviceRef, channels: string[]): Promise<FetchResult> {
    return asFetchResult('nettra', [device.token], async () => {
      const token = requireToken(device);
      const set = new ReadingSet(channels);
      await Promise.all(
        channels.map(async (channel) => {
          const { values } = await this.#resource(token, channel, new URLSearchParams({ limit: '1' }));
          const newest = values.reduce<ResourceValue | undefined>((a, b) => (a && a.ts >= b.ts ? a : b), undefined);
          if (newest) set.add({ channel, ts: newest.ts, value: newest.value });
        }),
      );
      return set.toResult();
    });
  }

  history(device: DeviceRef, channels: string[], from: Date, to: Date): Promise<FetchResult> {
    return asFetchResult('nettra', [device.token], async () => {
      const token = requireToken(device);
      const set = new ReadingSet(channels);
      await Promise.all(channels.map((channel) => this.#channelHistory(token, channel, from, to, set)));
      return set.toResult();
    });
  }

  /**
   * Dates have whole-second resolution and the API does not say whether endDate is inclusive, so
   * each request asks for one second more than needed and overlaps are de-duplicated.
   */
  async #channelHistory(token: string, channel: string, from: Date, to: Date, set: ReadingSet): Promise<void> {
    const startDate = formatThethingsDate(floorSecond(from.getTime()));
    let endSecond = floorSecond(to.getTime()) + 1000;
    for (let page = 0; ; page++) {
      if (page >= this.#maxPages) throw tooManyPages('nettra', channel, this.#maxPages, this.#pageSize);
      const query = new URLSearchParams({
        limit: String(this.#pageSize),
        startDate,
        endDate: formatThethingsDate(endSecond),
      });
      const { values, served } = await this.#resource(token, channel, query);
      for (const v of values) {
        if (v.ts > from && v.ts <= to) set.add({ channel, ts: v.ts, value: v.value });
      }
      if (served < this.#pageSize || values.length === 0) return;
      const oldestMs = values.reduce((min, v) => Math.min(min, v.ts.getTime()), Infinity);
      // The page holds the newest values of the window: once it reaches `from`, nothing is left.
      if (oldestMs <= from.getTime()) return;
      const oldestSecond = floorSecond(oldestMs);
      const next = oldestSecond + 1000 < endSecond ? oldestSecond + 1000 : oldestSecond;
      if (next >= endSecond) throw pagingStalled('nettra', channel);
      endSecond = next;
    }
  }

  async #resource(token: string, channel: string, query: URLSearchParams): Promise<{ values: ResourceValue[]; served: number }> {
    const path = (t: string) => `/v2/things/${t}/resources/${encodeURIComponent(channel)}?${query}`;
    const label = `GET ${path('***')}`;
    const res = await this.#http.request({
      url: this.#base + path(encodeURIComponent(token)),
      headers: { Accept: 'application/json' },
      label,
      secrets: [token],
    });
    expectSuccess('nettra', label, res, [token]);
    const body = parseJsonBody('nettra', label, res);
    if (!Array.isArray(body)) {
      const message = isRecord(body) && typeof body.message === 'string' ? body.message.slice(0, 200) : 'not a list';
      throw malformed('nettra', label, message);
    }
    const values: ResourceValue[] = [];
    for (const item of body) {
      const ts = isRecord(item) ? parseTimestamp(item.datetime) : undefined;
      if (isRecord(item) && ts && item.value !== null && item.value !== undefined) values.push({ ts, value: item.value });
    }
    if (values.length < body.length) {
      this.#logger.warn({ provider: 'nettra', channel, skipped: body.length - values.length }, 'values without a usable datetime skipped');
    }
    return { values, served: body.length };
  }
}

function requireToken(device: DeviceRef): string {
  if (!device.token) throw new ProviderRequestError('nettra: the point has no thing token', undefined, 'response');
  return device.token;
}
