import { afterAll } from 'vitest';
import { PostgresDb } from '../../src/infra/db/postgres.js';
import { describeBinaryCopyContract } from '../contracts/copy-binary.contract.js';
import { freshDatabase } from './support.js';

let drop: (() => Promise<void>) | undefined;
afterAll(async () => drop?.());

describeBinaryCopyContract('PostgreSQL', async () => {
  const fresh = await freshDatabase();
  drop = fresh.drop;
  return new PostgresDb(fresh.url);
});
