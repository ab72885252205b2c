/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  setupFiles: ['reflect-metadata'],
  // Builds dist/ once for the tests that run the compiled CLI, only when it is stale.
  globalSetup: '<rootDir>/test/global-setup.js',
  testTimeout: 60000,
};
