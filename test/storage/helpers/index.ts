/**
 * The storage tests' helpers (not a test file): temporary directories and small databases
 * (db.ts), a hostile in-memory PageIO for the B+tree (mem-page-io.ts), and the reference
 * databases and judge of the corrupt-input fuzzing (fuzz-reference.ts).
 */

export * from './db.js';
export * from './fuzz-reference.js';
export * from './mem-page-io.js';
