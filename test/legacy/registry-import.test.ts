import { createTestContext } from '../support/context.js';
import { registryImportSuite } from './registry-import.suite.js';

registryImportSuite('PGlite', () => createTestContext());
