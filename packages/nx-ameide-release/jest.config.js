const preset = require('../../jest.preset.js');
module.exports = {
  ...preset,
  displayName: 'nx-ameide-release',
  rootDir: __dirname,
  // e2e suites live in tests/e2e and run from their own config (jest.e2e.config.js).
  testPathIgnorePatterns: [...preset.testPathIgnorePatterns, '/tests/e2e/'],
};
