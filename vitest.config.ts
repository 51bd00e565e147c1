// Test runner configuration: every package's tests run from source, no build needed.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      // Subpath entries before their package: a string alias also captures its subpaths.
      '@image-catalog/core/workers': fileURLToPath(new URL('./packages/core/src/workers.ts', import.meta.url)),
      '@image-catalog/core/authoring': fileURLToPath(new URL('./packages/core/src/authoring.ts', import.meta.url)),
      '@image-catalog/core': pkg('core'),
      '@image-catalog/memory': pkg('memory'),
      '@image-catalog/sqlite': pkg('sqlite'),
      '@image-catalog/http': pkg('http'),
      '@image-catalog/express': pkg('express'),
      // Before the package itself: a string alias also captures its subpaths.
      '@image-catalog/testkit/process': fileURLToPath(new URL('./packages/testkit/src/process/index.ts', import.meta.url)),
      '@image-catalog/testkit': pkg('testkit'),
      '@image-catalog/filesystem': pkg('filesystem'),
      '@image-catalog/postgres': pkg('postgres'),
      '@image-catalog/mysql': pkg('mysql'),
      '@image-catalog/sql-kit': pkg('sql-kit'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    pool: 'forks',
    // In CI also write a machine-readable summary; .ci/run prints its totals as the closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'node_modules/.cache/vitest-results.json' }]] : ['default'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
