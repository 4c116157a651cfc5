import { createTestContext } from '../support/context.js';
import { measurementImportSuite } from './measurement-import.suite.js';

measurementImportSuite('PGlite', () => createTestContext());
