// Test runner configuration: every package's tests run from source, no build needed.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

interface Manifest {
  readonly name: string;
  readonly exports?: Record<string, { readonly source?: string }>;
}

/**
 * `@image-catalog/<pkg>[/<entry>]` → that package's TypeScript source, read from each package's
 * `exports` (`source` condition), subpaths first: a string alias also captures its subpaths.
 */
function sourceAliases(): Record<string, string> {
  const aliases: [string, string][] = [];
  for (const dir of readdirSync(new URL('./packages/', import.meta.url))) {
    const base = new URL(`./packages/${dir}/`, import.meta.url);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(new URL('package.json', base), 'utf8')) as Manifest;
    } catch {
      continue;
    }
    for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
      if (target.source === undefined) continue;
      const specifier = entry === '.' ? manifest.name : `${manifest.name}/${entry.replace(/^\.\//, '')}`;
      aliases.push([specifier, fileURLToPath(new URL(target.source, base))]);
    }
  }
  aliases.sort(([a], [b]) => b.length - a.length);
  return Object.fromEntries(aliases);
}

export default defineConfig({
  resolve: {
    alias: sourceAliases(),
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
