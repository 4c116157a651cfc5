/**
 * Novus — TagoIO device API. The device token goes in the Authorization header. History pages with
 * `skip` over a fixed window, oldest first.
 */
import type { DeviceRef, FetchResult, ProviderAccount, ProviderAdapter, ProviderReading } from './provider.js';
import { ProviderRequestError, silentLogger, type ProviderLogger, type ResilientHttp } from './resilience.js';
import {
  DEFAULT_MAX_PAGES,
  ReadingSet,
  asFetchResult,
  expectSuccess,
  httpFor,
  isRecord,
  malformed,
  parseJsonBody,
  parseTimestamp,
  tooManyPages,
  trimBaseUrl,
  type AdapterOptions,
} from './support.js';

/** TagoIO refuses larger pages. */
export const NOVUS_MAX_QTY = 10_000;

export class NovusAdapter implements ProviderAdapter {
  readonly name = 'novus' as const;
  readonly #base: string;
  readonly #http: ResilientHttp;
  readonly #logger: ProviderLogger;
  readonly #pageSize: number;
  readonly #maxPages: number;

  constructor(account: ProviderAccount, opts: AdapterOptions = {}) {
    this.#base = trimBaseUrl(account.baseUrl);
    this.#http = httpFor('novus', opts);
    this.#logger = opts.logger ?? silentLogger;
    this.#pageSize = Math.min(opts.pageSize ?? 1_000, NOVUS_MAX_QTY);
    this.#maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  }

  latest(device: DeviceRef, channels: string[]): Promise<FetchResult> {
    return asFetchResult('novus', [device.token], async () => {
      const token = requireToken(device);
      const set = new ReadingSet(channels);
      await Promise.all(
        channels.map(async (channel) => {
          const { readings } = await this.#data(token, channel, new URLSearchParams({ variable: channel, query: 'last_item' }));
          for (const reading of readings) set.add(reading);
        }),
      );
      return set.toResult();
    });
  }

  history(device: DeviceRef, channels: string[], from: Date, to: Date): Promise<FetchResult> {
    return asFetchResult('novus', [device.token], async () => {
      const token = requireToken(device);
      const set = new ReadingSet(channels);
      await Promise.all(channels.map((channel) => this.#channelHistory(token, channel, from, to, set)));
      return set.toResult();
    });
  }

  async #channelHistory(token: string, channel: string, from: Date, to: Date, set: ReadingSet): Promise<void> {
    for (let page = 0; ; page++) {
      if (page >= this.#maxPages) throw tooManyPages('novus', channel, this.#maxPages, this.#pageSize);
      const query = new URLSearchParams({
        variable: channel,
        start_date: from.toISOString(),
        // One millisecond past `to`, in case end_date is exclusive; (from, to] is enforced below.
        end_date: new Date(to.getTime() + 1).toISOString(),
        qty: String(this.#pageSize),
        skip: String(page * this.#pageSize),
        ordination: 'ascending',
      });
      const { readings, served } = await this.#data(token, channel, query);
      for (const reading of readings) {
        if (reading.ts > from && reading.ts <= to) set.add(reading);
      }
      if (served < this.#pageSize) return;
    }
  }

  async #data(token: string, channel: string, query: URLSearchParams): Promise<{ readings: ProviderReading[]; served: number }> {
    const label = `GET /data?${query}`;
    const res = await this.#http.request({
      url: `${this.#base}/data?${query}`,
      headers: { Authorization: token, Accept: 'application/json' },
      label,
      secrets: [token],
    });
    expectSuccess('novus', label, res, [token]);
    const body = parseJsonBody('novus', label, res);
    if (!isRecord(body)) throw malformed('novus', label, 'not an object');
    if (body.status !== true || !Array.isArray(body.result)) {
      const message = typeof body.message === 'string' ? body.message.slice(0, 200) : 'status is not true';
      throw new ProviderRequestError(`novus: ${label} failed: ${message}`, res.status, 'response');
    }
    const readings: ProviderReading[] = [];
    let skipped = 0;
    for (const item of body.result) {
      const ts = isRecord(item) ? parseTimestamp(item.time) : undefined;
      if (!isRecord(item) || !ts || item.value === null || item.value === undefined) {
        skipped++;
        continue;
      }
      // A variable filter the API ignored must not leak other variables into this channel.
      if (item.variable !== undefined && item.variable !== channel) continue;
      const reading: ProviderReading = { channel, ts, value: item.value };
      if (typeof item.unit === 'string' && item.unit !== '') reading.unit = item.unit;
      readings.push(reading);
    }
    if (skipped > 0) this.#logger.warn({ provider: 'novus', channel, skipped }, 'items without a usable time skipped');
    return { readings, served: body.result.length };
  }
}

function requireToken(device: DeviceRef): string {
  if (!device.token) throw new ProviderRequestError('novus: the point has no device token', undefined, 'response');
  return device.token;
}
