/** One jest run for every suite: unit, subgraph integration and end-to-end (see tests/README.md). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@union/common$': '<rootDir>/packages/common/src',
    '^@union/(member|benefit|points)-subgraph$': '<rootDir>/subgraphs/$1/src',
    '^@union/gateway$': '<rootDir>/gateway/src',
  },
  globalSetup: '<rootDir>/tests/testkit/global-setup.mjs',
  globalTeardown: '<rootDir>/tests/testkit/global-teardown.mjs',
  testTimeout: 120_000,
};
