const preset = require('../../jest.preset.js');
module.exports = {
  ...preset,
  displayName: 'ameide_sdk_ts',
  rootDir: __dirname,
  // Tests use configuration's source, so `nx test` needs no build; the packed SDK resolves the built package.
  moduleNameMapper: { '^@ameideio/configuration$': '<rootDir>/../configuration/src/index.ts' },
};
