import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidTimeZone } from './lib/timezone.js';

/** How the mqtt role subscribes: see MqttIngestOptions.subscription. */
export const MQTT_SUBSCRIPTION_MODES = ['exclusive', 'shared'] as const;
export type MqttSubscriptionMode = (typeof MQTT_SUBSCRIPTION_MODES)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Key prefix in Redis, so several deployments (or test runs) can share one server. */
  cachePrefix: string;
  kafkaBrokers?: string[];
  /** Prefix of topic and consumer-group names (see busNames). */
  busNamespace: string;
  /** Consumers the processor role runs in its group (each handles its own partitions). */
  processorConcurrency: number;
  secretKey: string;
  adminEmail?: string;
  adminPassword?: string;
  dgaApiUrl: string;
  /** False when DGA_API_URL was not set (demo mode then uses the built-in DGA simulator). */
  dgaApiUrlExplicit: boolean;
  /**
   * Least time between two DGA requests (DGA_MIN_SPACING_MS, default 1000), per reporter and, across
   * reporters, per informante RUT: DGA asks for at least 1 s.
   */
  dgaMinSpacingMs: number;
  /** Measurements older than this are dropped (whole monthly partitions) and rejected on arrival. */
  retentionDays: number;
  /**
   * The one local zone of the platform (DGA_TIMEZONE): DGA payload dates and times, slot calendars, and
   * the local days and months of series, consumption and stats. Passed explicitly to every rule.
   */
  reportTimezone: string;
  logLevel: string;
  /** MQTT broker the mqtt role subscribes to (MQTT_URL); unset: no MQTT ingest. */
  mqttUrl?: string;
  /** Topics are `<prefix>/points/<id>/readings`; also the shared-subscription group (MQTT_TOPIC_PREFIX). */
  mqttTopicPrefix: string;
  /** Base of the MQTT client ids; must be stable per process for the persistent session (MQTT_CLIENT_ID). */
  mqttClientId?: string;
  /** `exclusive` (default: one process, loses nothing when the broker restarts) or `shared` (MQTT_SUBSCRIPTION). */
  mqttSubscription: MqttSubscriptionMode;
  /** Password checks (login, password change) allowed per client IP per minute (LOGIN_RATE_LIMIT). */
  loginRateLimit: number;
  /** Hosts provider accounts may point at (PROVIDER_HOST_ALLOWLIST); undefined: any host. */
  providerHostAllowlist?: string[];
  /** /health reports the DGA reporter down when its last heartbeat is older than this (HEALTH_REPORTER_STALE_S, default 300). */
  healthReporterStaleMs: number;
  /** True when DATABASE_URL is unset: PGlite under dataDir. */
  embedded: boolean;
  /** The issuer printed on quote and invoice PDFs (COMPANY_NAME, COMPANY_RUT, COMPANY_ADDRESS, COMPANY_LOGO_PATH). */
  company: { name: string; rut?: string; address?: string; logoPath?: string };
  /** The built web application the api role serves at / (WEB_DIR; default dist/web of this package). */
  webDir: string;
  /**
   * A MapLibre style URL for the web map's base layer (MAP_STYLE_URL); unset: the bundled offline style
   * (a plain background and an outline of Chile), so the map works without internet.
   */
  mapStyleUrl?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_DGA_API_URL = 'https://apimee.mop.gob.cl/api/v1';
/** Fixed UTC−4, the zone the DGA expects readings labelled in. */
export const DEFAULT_REPORT_TIMEZONE = 'Etc/GMT+4';

/**
 * Reads the environment once and validates every variable; all problems are reported together.
 * In embedded mode (no DATABASE_URL) a missing SECRET_KEY is generated into DATA_DIR/secret.key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const str = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  let port = 8080;
  const portText = str('PORT');
  if (portText !== undefined) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push(`PORT must be an integer between 0 and 65535 (got "${portText}")`);
    }
  }

  const dataDir = resolve(str('DATA_DIR') ?? './.smarthydro');

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// connection string');
  }

  const redisUrl = str('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?(\+cluster)?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must start with redis://, rediss:// or redis+cluster://');
  }

  const cachePrefix = str('CACHE_PREFIX') ?? 'sh';
  if (!/^[\w.-]{1,40}$/.test(cachePrefix)) problems.push('CACHE_PREFIX must be 1-40 letters, digits, dots, dashes or underscores');

  const busNamespace = str('BUS_NAMESPACE') ?? '';
  if (!/^[\w-]{0,40}$/.test(busNamespace)) problems.push('BUS_NAMESPACE must be up to 40 letters, digits, dashes or underscores');

  // Three consumers: the database works on up to three batches at once (COPY, upserts, commit) while the processor
  // decodes the next; on 2 cores that took steady 1-minute ingestion from 0.6–0.75× to 0.75–0.95× a bare COPY.
  let processorConcurrency = 3;
  const concurrencyText = str('PROCESSOR_CONCURRENCY');
  if (concurrencyText !== undefined) {
    processorConcurrency = Number(concurrencyText);
    if (!Number.isInteger(processorConcurrency) || processorConcurrency < 1 || processorConcurrency > 32) {
      problems.push('PROCESSOR_CONCURRENCY must be an integer from 1 to 32');
    }
  }

  let kafkaBrokers: string[] | undefined;
  const brokersText = str('KAFKA_BROKERS');
  if (brokersText !== undefined) {
    kafkaBrokers = brokersText.split(',').map((b) => b.trim()).filter(Boolean);
    const bad = kafkaBrokers.filter((b) => !/^[\w.-]+:\d{1,5}$/.test(b));
    if (kafkaBrokers.length === 0 || bad.length > 0) {
      problems.push(`KAFKA_BROKERS must be a comma-separated list of host:port (bad: ${bad.join(', ') || 'empty'})`);
    }
  }

  let secretKey = str('SECRET_KEY');
  if (secretKey !== undefined && secretKey.length < 32) {
    problems.push('SECRET_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  }
  if (secretKey === undefined && databaseUrl !== undefined) {
    problems.push('SECRET_KEY is required when DATABASE_URL is set (it encrypts provider and DGA credentials); generate one with `openssl rand -hex 32`');
  }

  const adminEmail = str('ADMIN_EMAIL');
  if (adminEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    problems.push(`ADMIN_EMAIL must be an e-mail address (got "${adminEmail}")`);
  }
  const adminPassword = str('ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    problems.push('ADMIN_PASSWORD must be at least 8 characters');
  }
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }

  const dgaApiUrl = str('DGA_API_URL') ?? DEFAULT_DGA_API_URL;
  if (!/^https?:\/\//.test(dgaApiUrl)) problems.push('DGA_API_URL must be an http(s) URL');

  let dgaMinSpacingMs = 1000;
  const spacingText = str('DGA_MIN_SPACING_MS');
  if (spacingText !== undefined) {
    dgaMinSpacingMs = Number(spacingText);
    if (!/^\d+$/.test(spacingText) || dgaMinSpacingMs < 1000 || dgaMinSpacingMs > 60_000) {
      problems.push('DGA_MIN_SPACING_MS must be an integer from 1000 to 60000 (milliseconds; DGA asks for at least 1 s)');
    }
  }

  const reportTimezone = str('DGA_TIMEZONE') ?? DEFAULT_REPORT_TIMEZONE;
  if (!isValidTimeZone(reportTimezone)) {
    problems.push(`DGA_TIMEZONE must be an IANA time zone such as Etc/GMT+4 or America/Santiago (got "${reportTimezone}")`);
  }

  let retentionDays = 3650;
  const retentionText = str('RETENTION_DAYS');
  if (retentionText !== undefined) {
    retentionDays = Number(retentionText);
    if (!Number.isInteger(retentionDays) || retentionDays < 31) problems.push('RETENTION_DAYS must be an integer of at least 31');
  }

  const mqttUrl = str('MQTT_URL');
  if (mqttUrl !== undefined && !/^(mqtts?|wss?):\/\/[^\s/]+/.test(mqttUrl)) {
    problems.push('MQTT_URL must be an mqtt://, mqtts://, ws:// or wss:// URL such as mqtt://127.0.0.1:1883');
  }
  const mqttTopicPrefix = str('MQTT_TOPIC_PREFIX') ?? 'smarthydro';
  if (!/^[\w-]{1,40}$/.test(mqttTopicPrefix)) problems.push('MQTT_TOPIC_PREFIX must be 1-40 letters, digits, dashes or underscores');
  const mqttClientId = str('MQTT_CLIENT_ID');
  if (mqttClientId !== undefined && !/^[\w.-]{1,40}$/.test(mqttClientId)) problems.push('MQTT_CLIENT_ID must be 1-40 letters, digits, dots, dashes or underscores');
  const mqttSubscription = (str('MQTT_SUBSCRIPTION') ?? 'exclusive') as MqttSubscriptionMode;
  if (!MQTT_SUBSCRIPTION_MODES.includes(mqttSubscription)) problems.push(`MQTT_SUBSCRIPTION must be ${MQTT_SUBSCRIPTION_MODES.join(' or ')}`);

  let loginRateLimit = 10;
  const loginLimitText = str('LOGIN_RATE_LIMIT');
  if (loginLimitText !== undefined) {
    loginRateLimit = Number(loginLimitText);
    if (!Number.isInteger(loginRateLimit) || loginRateLimit < 1 || loginRateLimit > 100_000) {
      problems.push('LOGIN_RATE_LIMIT must be an integer from 1 to 100000 (logins per client IP per minute)');
    }
  }

  let providerHostAllowlist: string[] | undefined;
  const allowlistText = str('PROVIDER_HOST_ALLOWLIST');
  if (allowlistText !== undefined) {
    providerHostAllowlist = allowlistText.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    const bad = providerHostAllowlist.filter((h) => !/^[a-z0-9.-]+(:\d{1,5})?$/.test(h));
    if (providerHostAllowlist.length === 0 || bad.length > 0) {
      problems.push(`PROVIDER_HOST_ALLOWLIST must be a comma-separated list of host names such as api.tdata.cl (bad: ${bad.join(', ') || 'empty'})`);
    }
  }

  const company = {
    name: str('COMPANY_NAME') ?? 'SmartHydro',
    rut: str('COMPANY_RUT'),
    address: str('COMPANY_ADDRESS'),
    logoPath: str('COMPANY_LOGO_PATH') === undefined ? undefined : resolve(str('COMPANY_LOGO_PATH')!),
  };
  if (company.name.length > 120) problems.push('COMPANY_NAME must be at most 120 characters');
  if (company.rut !== undefined && !/^\d{1,3}(\.?\d{3}){1,2}-[\dkK]$/.test(company.rut)) {
    problems.push(`COMPANY_RUT must be a RUT such as 76.123.456-7 (got "${company.rut}")`);
  }
  if (company.address !== undefined && company.address.length > 300) problems.push('COMPANY_ADDRESS must be at most 300 characters');
  if (company.logoPath !== undefined && !/\.(png|jpe?g)$/i.test(company.logoPath)) {
    problems.push('COMPANY_LOGO_PATH must name a .png or .jpg file');
  } else if (company.logoPath !== undefined && !existsSync(company.logoPath)) {
    problems.push(`COMPANY_LOGO_PATH ${company.logoPath} does not exist`);
  }

  let healthReporterStaleMs = 300_000;
  const staleText = str('HEALTH_REPORTER_STALE_S');
  if (staleText !== undefined) {
    healthReporterStaleMs = Number(staleText) * 1000;
    if (!/^\d+$/.test(staleText) || healthReporterStaleMs < 10_000 || healthReporterStaleMs > 86_400_000) {
      problems.push('HEALTH_REPORTER_STALE_S must be an integer from 10 to 86400 (seconds)');
    }
  }

  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const mapStyleUrl = str('MAP_STYLE_URL');
  if (mapStyleUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(mapStyleUrl)) {
    problems.push(`MAP_STYLE_URL must be an http(s) URL of a MapLibre style (got "${mapStyleUrl}")`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  if (secretKey === undefined) secretKey = embeddedSecretKey(dataDir);

  return {
    port,
    host: str('HOST') ?? '0.0.0.0',
    dataDir,
    databaseUrl,
    redisUrl,
    cachePrefix,
    kafkaBrokers,
    busNamespace,
    processorConcurrency,
    secretKey,
    adminEmail,
    adminPassword,
    dgaApiUrl,
    dgaApiUrlExplicit: str('DGA_API_URL') !== undefined,
    dgaMinSpacingMs,
    retentionDays,
    reportTimezone,
    logLevel,
    mqttUrl,
    mqttTopicPrefix,
    mqttClientId,
    mqttSubscription,
    loginRateLimit,
    providerHostAllowlist,
    healthReporterStaleMs,
    embedded: databaseUrl === undefined,
    company,
    webDir: resolve(str('WEB_DIR') ?? join(packageRoot(), 'dist', 'web')),
    mapStyleUrl,
  };
}

/** The folder holding this package's package.json, whether running from src/ (tsx) or dist/src/ (built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

function embeddedSecretKey(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length < 32) {
      throw new ConfigError([
        `${file} holds ${key.length === 0 ? 'no key' : `a key of ${key.length} characters`}; it needs at least 32. ` +
          'Restore the file from backup (the key decrypts stored provider and DGA credentials), or set SECRET_KEY',
      ]);
    }
    return key;
  }
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
