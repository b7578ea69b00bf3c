const preset = require('../../jest.preset.js');
module.exports = { ...preset, displayName: 'configuration', rootDir: __dirname };
