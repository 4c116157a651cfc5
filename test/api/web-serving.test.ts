import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';

const HTML = { accept: 'text/html,application/xhtml+xml' };
let dir: string;
let t: TestContext;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smarthydro-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>SmartHydro web</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-B4x9kQ2a.js'), 'console.log("app")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t = await createTestContext({ config: { webDir: dir, reportTimezone: 'America/Santiago' } });
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web application served by the api role', () => {
  it('answers / with index.html, revalidated on every load', async () => {
    const r = await t.as(null, { method: 'GET', url: '/', headers: HTML });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.text).toContain('SmartHydro web');
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets as immutable and other files revalidated', async () => {
    const js = await t.as(null, { method: 'GET', url: '/assets/index-B4x9kQ2a.js' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await t.as(null, { method: 'GET', url: '/favicon.svg' });
    expect(icon.status).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers index.html for application paths a browser asks for (reload on /points/12)', async () => {
    const r = await t.as(null, { method: 'GET', url: '/points/12?tab=chart', headers: HTML });
    expect(r.status).toBe(200);
    expect(r.text).toContain('SmartHydro web');
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('never shadows the API and operations paths, even for a browser', async () => {
    const api = await t.as(null, { method: 'GET', url: '/api/v1/no-such-thing', headers: HTML });
    expect(api.status).toBe(404);
    expect(api.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(api.body.code).toBe('ROUTE_NOT_FOUND');
    const health = await t.as(null, { method: 'GET', url: '/health', headers: HTML });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const metrics = await t.as(null, { method: 'GET', url: '/metrics', headers: HTML });
    expect(metrics.text).toMatch(/# HELP/);
    const spec = await t.as(null, { method: 'GET', url: '/openapi.json', headers: HTML });
    expect(spec.body.openapi).toMatch(/^3\./);
    const docs = await t.as(null, { method: 'GET', url: '/docs/', headers: HTML });
    expect(docs.text).toContain('swagger');
    const missingDocs = await t.as(null, { method: 'GET', url: '/docs/nothing-here', headers: HTML });
    expect(missingDocs.text).not.toContain('SmartHydro web');
  });

  it('keeps unknown paths a problem for callers that do not ask for a page, and for other methods', async () => {
    const json = await t.as(null, { method: 'GET', url: '/points/12', headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(json.body.code).toBe('ROUTE_NOT_FOUND');
    const post = await t.as(null, { method: 'POST', url: '/points/12', headers: HTML, payload: {} });
    expect(post.status).toBe(404);
    const asset = await t.as(null, { method: 'GET', url: '/assets/missing-AAAAAAAA.js' });
    expect(asset.status).toBe(404);
  });

  it('GET /api/v1/meta tells the reporting zone without a login', async () => {
    const r = await t.as(null, { method: 'GET', url: '/api/v1/meta' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ timezone: 'America/Santiago', map_style_url: null });
  });
});

describe('without a built web application', () => {
  let bare: TestContext;
  beforeAll(async () => {
    bare = await createTestContext({ config: { webDir: join(tmpdir(), 'smarthydro-web-never-built') } });
  });
  afterAll(async () => bare.close());

  it('/ is a 503 problem that names npm run build, and the API still answers', async () => {
    const r = await bare.as(null, { method: 'GET', url: '/', headers: HTML });
    expect(r.status).toBe(503);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.body.code).toBe('WEB_NOT_BUILT');
    expect(r.body.detail).toContain('npm run build');
    const page = await bare.as(null, { method: 'GET', url: '/map', headers: HTML });
    expect(page.status).toBe(503);
    const api = await bare.as(null, { method: 'GET', url: '/api/v1/nothing', headers: HTML });
    expect(api.status).toBe(404);
  });
});
