import { afterAll, expect } from 'vitest';
import { createTestContext } from '../support/context.js';
import { measurementImportSuite } from '../legacy/measurement-import.suite.js';
import { registryImportSuite } from '../legacy/registry-import.suite.js';
import { freshDatabase } from './support.js';

// A fresh database per test: the suite checks counts from an empty registry.
const databases: Array<Awaited<ReturnType<typeof freshDatabase>>> = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function postgresContext() {
  const db = await freshDatabase();
  databases.push(db);
  const t = await createTestContext({ config: { databaseUrl: db.url } });
  expect(t.c.db.kind).toBe('postgres');
  return t;
}

registryImportSuite('PostgreSQL', postgresContext);
measurementImportSuite('PostgreSQL', postgresContext);
