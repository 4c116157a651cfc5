import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('has embedded defaults and generates a SECRET_KEY into DATA_DIR once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
    const cfg = loadConfig({ DATA_DIR: dir });
    expect(cfg).toMatchObject({ port: 8080, embedded: true, reportTimezone: 'Etc/GMT+4', logLevel: 'info' });
    expect(cfg.dgaApiUrl).toBe('https://apimee.mop.gob.cl/api/v1');
    expect(cfg.dgaMinSpacingMs).toBe(1000);
    expect(cfg.secretKey).toHaveLength(64);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(cfg.secretKey);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(cfg.secretKey);
  });

  it('refuses to start with an empty or short DATA_DIR/secret.key, naming the file', () => {
    for (const content of ['', '\n', 'abc123\n']) {
      const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
      writeFileSync(join(dir, 'secret.key'), content);
      expect(() => loadConfig({ DATA_DIR: dir })).toThrow(ConfigError);
      expect(() => loadConfig({ DATA_DIR: dir })).toThrow(join(dir, 'secret.key'));
      expect(readFileSync(join(dir, 'secret.key'), 'utf8')).toBe(content);
    }
  });

  it('serves the web application from dist/web of the package unless WEB_DIR says otherwise; MAP_STYLE_URL must be http(s)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
    const root = join(import.meta.dirname, '..');
    expect(loadConfig({ DATA_DIR: dir }).webDir).toBe(join(root, 'dist', 'web'));
    expect(loadConfig({ DATA_DIR: dir, WEB_DIR: '/srv/web' }).webDir).toBe('/srv/web');
    expect(loadConfig({ DATA_DIR: dir }).mapStyleUrl).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dir, MAP_STYLE_URL: 'https://tiles.example/style.json' }).mapStyleUrl).toBe('https://tiles.example/style.json');
    expect(() => loadConfig({ DATA_DIR: dir, MAP_STYLE_URL: 'javascript:alert(1)' })).toThrow(/MAP_STYLE_URL/);
  });

  it('reads PROVIDER_HOST_ALLOWLIST as lower-case hosts and refuses URLs in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
    expect(loadConfig({ DATA_DIR: dir }).providerHostAllowlist).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dir, PROVIDER_HOST_ALLOWLIST: 'API.tdata.cl, twin.example:8443' }).providerHostAllowlist).toEqual(['api.tdata.cl', 'twin.example:8443']);
    expect(() => loadConfig({ DATA_DIR: dir, PROVIDER_HOST_ALLOWLIST: 'https://api.tdata.cl/x' })).toThrow(/PROVIDER_HOST_ALLOWLIST/);
    expect(() => loadConfig({ DATA_DIR: dir, LOGIN_RATE_LIMIT: '0' })).toThrow(/LOGIN_RATE_LIMIT/);
  });

  it('lists every bad variable in one error', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'http://x',
        KAFKA_BROKERS: 'localhost',
        DGA_TIMEZONE: 'Mars/Olympus',
        LOG_LEVEL: 'loud',
        ADMIN_EMAIL: 'admin@x.cl',
        MQTT_URL: 'tcp//broker',
        MQTT_TOPIC_PREFIX: 'a/b',
        MQTT_SUBSCRIPTION: 'round-robin',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.message;
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'DGA_TIMEZONE', 'LOG_LEVEL', 'ADMIN_PASSWORD', 'SECRET_KEY', 'MQTT_URL', 'MQTT_TOPIC_PREFIX', 'MQTT_SUBSCRIPTION']) {
      expect(text).toContain(name);
    }
    expect(error!.problems.length).toBeGreaterThanOrEqual(10);
  });

  it('DGA_MIN_SPACING_MS: at least 1000 ms, an integer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
    expect(loadConfig({ DATA_DIR: dir, DGA_MIN_SPACING_MS: '1500' }).dgaMinSpacingMs).toBe(1500);
    for (const bad of ['950', '1e3', '1000.5', 'soon']) {
      expect(() => loadConfig({ DATA_DIR: dir, DGA_MIN_SPACING_MS: bad })).toThrow(/DGA_MIN_SPACING_MS/);
    }
  });

  it('parses production settings', () => {
    const cfg = loadConfig({
      DATABASE_URL: 'postgres://u@db/x',
      SECRET_KEY: 'k'.repeat(40),
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      PORT: '9000',
    });
    expect(cfg).toMatchObject({ embedded: false, port: 9000, kafkaBrokers: ['k1:9092', 'k2:9092'] });
  });

  it('MQTT_SUBSCRIPTION: exclusive unless shared is asked for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
    expect(loadConfig({ DATA_DIR: dir }).mqttSubscription).toBe('exclusive');
    expect(loadConfig({ DATA_DIR: dir, MQTT_SUBSCRIPTION: 'shared' }).mqttSubscription).toBe('shared');
    for (const bad of ['Shared', 'both', '$share']) expect(() => loadConfig({ DATA_DIR: dir, MQTT_SUBSCRIPTION: bad })).toThrow(/MQTT_SUBSCRIPTION must be exclusive or shared/);
  });

  it('reads the company printed on quote and invoice PDFs (COMPANY_*)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-config-'));
    expect(loadConfig({ DATA_DIR: dir }).company).toEqual({ name: 'SmartHydro', rut: undefined, address: undefined, logoPath: undefined });
    const logo = join(dir, 'logo.png');
    writeFileSync(logo, 'png');
    const cfg = loadConfig({ DATA_DIR: dir, COMPANY_NAME: 'Hidro SpA', COMPANY_RUT: '76.543.210-3', COMPANY_ADDRESS: 'Av. Alemania 1234, Temuco', COMPANY_LOGO_PATH: logo });
    expect(cfg.company).toEqual({ name: 'Hidro SpA', rut: '76.543.210-3', address: 'Av. Alemania 1234, Temuco', logoPath: logo });
    expect(() => loadConfig({ DATA_DIR: dir, COMPANY_RUT: '76543210' })).toThrow(/COMPANY_RUT/);
    expect(() => loadConfig({ DATA_DIR: dir, COMPANY_LOGO_PATH: join(dir, 'missing.png') })).toThrow(/COMPANY_LOGO_PATH .* does not exist/);
    expect(() => loadConfig({ DATA_DIR: dir, COMPANY_LOGO_PATH: join(dir, 'secret.key') })).toThrow(/\.png or \.jpg/);
  });
});
