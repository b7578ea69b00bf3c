const preset = require('../../jest.preset.js');
/** End-to-end: the inferred Nx targets in a scratch clone, against real registries on loopback. */
module.exports = {
  ...preset,
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/e2e/**/*.spec.ts'],
  testTimeout: 15 * 60 * 1000,
  maxWorkers: 1,
  // After each file: its runs' outputs scanned for its sandboxes' secrets (tools/drills/secret-scan.js).
  setupFilesAfterEnv: ['<rootDir>/tests/e2e/secret-scan.setup.ts'],
};
