import { PgliteDb } from '../../src/infra/db/pglite.js';
import { describeBinaryCopyContract } from './copy-binary.contract.js';

describeBinaryCopyContract('PGlite', () => PgliteDb.open());
