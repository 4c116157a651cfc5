/** The contract every provider adapter (Twin, Nettra, Novus) implements. */
/** Providers whose API the collector reads. */
export const PROVIDERS = ['twin', 'nettra', 'novus'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Where a point's readings come from: a provider's API, or `push` (the logger sends them to us). */
export const POINT_PROVIDERS = [...PROVIDERS, 'push'] as const;
export type PointProvider = (typeof POINT_PROVIDERS)[number];

/** One value as the provider served it: `value` is untouched (string, number, boolean, null). */
export interface ProviderReading {
  channel: string;
  ts: Date;
  value: unknown;
  /** Unit as the provider labelled it, when it does (Novus). Informative only. */
  unit?: string;
}

export type FetchResult =
  | { status: 'ok'; readings: ProviderReading[] }
  | { status: 'no_data' }
  | { status: 'request_failed'; error: string; httpStatus?: number };

/** Account-level settings: base URL and (for Twin) login credentials. Decrypted in memory only. */
export interface ProviderAccount {
  baseUrl: string;
  username?: string;
  password?: string;
}

/**
 * The device a point reads from. Twin: deviceId (ThingsBoard device UUID).
 * Nettra: token = thingToken (goes in the path). Novus: token = device token (Authorization header).
 */
export interface DeviceRef {
  deviceId?: string;
  token?: string;
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  /** Latest value of each channel. */
  latest(device: DeviceRef, channels: string[]): Promise<FetchResult>;
  /** Every value in (from, to], all pages, oldest first. */
  history(device: DeviceRef, channels: string[], from: Date, to: Date): Promise<FetchResult>;
}
