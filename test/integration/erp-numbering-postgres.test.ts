import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, REDIS_URL, runCli, SECRET_KEY, uniquePrefix, waitForExit, waitForHttp } from './support.js';

/**
 * Gap-free document numbers on PostgreSQL with two API processes: 200 quotes created at once, half through
 * each process, get 200 distinct consecutive numbers; creations that fail after their number was taken
 * (inside the creating transaction) give it back, so no number is skipped.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>;
const procs: ChildProcess[] = [];
const A = 'http://127.0.0.1:18191';
const B = 'http://127.0.0.1:18192';
let token = '';
let clientId = 0;
let projectId = 0;

async function call(base: string, method: string, path: string, body?: unknown) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: (await r.json()) as any };
}

beforeAll(async () => {
  db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url, REDIS_URL, CACHE_PREFIX: uniquePrefix(), SECRET_KEY, ADMIN_EMAIL: 'admin@erp.cl', ADMIN_PASSWORD: 'erp-numbering', HOST: '127.0.0.1',
  };
  const migrated = await waitForExit(runCli(['migrate'], env));
  expect(migrated.code, migrated.stderr).toBe(0);
  procs.push(runCli(['start', '--roles', 'api'], { ...env, PORT: '18191' }));
  procs.push(runCli(['start', '--roles', 'api'], { ...env, PORT: '18192' }));
  await Promise.all([waitForHttp(`${A}/health`), waitForHttp(`${B}/health`)]);
  const login = await fetch(`${A}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@erp.cl', password: 'erp-numbering' }),
  });
  token = ((await login.json()) as { token: string }).token;
  clientId = (await call(A, 'POST', '/api/v1/clients', { name: 'Numeración', rut: '12345678-5' })).body.id;
  projectId = (await call(A, 'POST', '/api/v1/projects', { client_id: clientId, name: 'P' })).body.id;
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.exitCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))));
  await db?.drop();
});

const quote = (i: number, project = projectId) => ({
  client_id: clientId,
  project_id: project,
  currency: 'CLP',
  items: [{ description: `Cotización concurrente ${i}`, quantity: '1', unit_price: String(1000 + i) }],
});

describe('COT numbering on PostgreSQL with two API processes', () => {
  it('200 concurrent creations (and 40 failing ones among them) give 200 distinct consecutive numbers', async () => {
    const year = new Date().getUTCFullYear(); // the platform zone is UTC−4: a run at New Year's midnight UTC may disagree
    const requests = Array.from({ length: 240 }, (_, i) =>
      // Every sixth request names a project that does not exist: refused after its number was taken.
      call(i % 2 === 0 ? A : B, 'POST', '/api/v1/quotes', i % 6 === 5 ? quote(i, 999_999_999) : quote(i)),
    );
    const results = await Promise.all(requests);
    const created = results.filter((r) => r.status === 201);
    const failed = results.filter((r) => r.status !== 201);
    expect(failed.every((r) => r.status === 400 && r.body.field === 'project_id'), JSON.stringify(failed[0]?.body)).toBe(true);
    expect(failed).toHaveLength(40);
    expect(created).toHaveLength(200);
    const numbers = created.map((r) => r.body.number as string);
    expect(new Set(numbers).size).toBe(200);
    const prefix = numbers[0]!.slice(0, 9);
    expect([`COT-${year}-`, `COT-${year - 1}-`]).toContain(prefix);
    const seq = numbers.map((n) => Number(n.slice(9))).sort((x, y) => x - y);
    expect(seq).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
    try {
      const counter = await direct.query("SELECT last_number FROM document_counters WHERE series = 'COT'");
      expect(counter.rows).toEqual([{ last_number: 200 }]);
      const stored = await direct.query('SELECT count(*)::int AS n, count(DISTINCT number)::int AS d FROM quotes');
      expect(stored.rows[0]).toEqual({ n: 200, d: 200 });
    } finally {
      await direct.end();
    }
  });

  it('the next creation after a failure takes the very next number, through either process', async () => {
    const bad = await call(B, 'POST', '/api/v1/quotes', quote(0, 999_999_999));
    expect(bad.status).toBe(400);
    const next = await call(A, 'POST', '/api/v1/quotes', quote(1));
    expect(next.body.number.slice(9)).toBe('0201');
    const read = await call(B, 'GET', `/api/v1/quotes/${next.body.id}`);
    expect(read.body).toMatchObject({ number: next.body.number, total: '1191' }); // 1001 + 190.19
  });

  it('concurrent payments through both processes never exceed the balance', async () => {
    const inv = await call(A, 'POST', '/api/v1/invoices', { client_id: clientId, currency: 'CLP', tax_rate: '0', items: [{ description: 'Plan', quantity: '1', unit_price: '1000' }] });
    expect(inv.status).toBe(201);
    await call(B, 'POST', `/api/v1/invoices/${inv.body.id}/status`, { status: 'ISSUED' });
    const paidAt = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const payments = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 ? A : B, 'POST', `/api/v1/invoices/${inv.body.id}/payments`, { amount: '300', paid_at: paidAt, method: 'transfer' })),
    );
    expect(payments.filter((p) => p.status === 201)).toHaveLength(3);
    expect(payments.filter((p) => p.status === 409).every((p) => p.body.code === 'PAYMENT_EXCEEDS_BALANCE')).toBe(true);
    const after = await call(B, 'GET', `/api/v1/invoices/${inv.body.id}`);
    expect(after.body).toMatchObject({ status: 'PARTIALLY_PAID', paid_amount: '900', balance: '100' });
    expect(after.body.payments).toHaveLength(3);
  });
});
