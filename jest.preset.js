/**
 * Shared jest settings: ts-jest in CommonJS mode, node environment.
 * @renovatebot/pep440 ships ES modules only; it is the one node_modules package transformed
 * to CommonJS for jest (at run time under Nx, Node 20.20 loads it with require()).
 */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
    '^.+/node_modules/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true }, isolatedModules: true }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/@renovatebot\\+pep440|@renovatebot/pep440))'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
