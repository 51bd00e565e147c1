// The packages as a team receives them: packed with pnpm, installed with plain npm into a fresh project outside the workspace, imported, type-checked and run there.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessOutcome } from '@image-catalog/testkit/process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmEnvironment, npmRegistryProblem } from './packaging/npm-environment.js';
import { packPackage, type PackedPackage } from './packaging/pack-package.js';
import { entryPoints, publicPackages, readManifest } from './packaging/public-packages.js';
import { tarballProblems } from './packaging/tarball-problems.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CONSUMER_FIXTURE = fileURLToPath(new URL('./packaging/consumer/', import.meta.url));

/** The export each entry point must have; an entry point not listed here must export something. */
const KEY_EXPORTS: Readonly<Record<string, string>> = {
  '@image-catalog/core': 'DeleteImage',
  '@image-catalog/core/workers': 'OutboxRelay',
  '@image-catalog/core/authoring': 'newImageRecord',
  '@image-catalog/memory': 'createMemoryStorage',
  '@image-catalog/sqlite': 'createSqliteStorage',
  '@image-catalog/postgres': 'openPostgresStorage',
  '@image-catalog/sql-kit': 'toImage',
  '@image-catalog/amqp': 'AmqpEventPublisher',
  '@image-catalog/filesystem': 'FileImageDataStore',
  '@image-catalog/http': 'createImageCatalog',
  '@image-catalog/express': 'createImagesRouter',
  '@image-catalog/testkit': 'describeHttpConformance',
  '@image-catalog/testkit/process': 'runProcess',
};

/**
 * Bounds. npm install compiles better-sqlite3 from source: about 100 s on an idle 2-core machine
 * (75 s of it the compile), 320 s measured while other test runs took the CPU; the whole test
 * 3 to 7 minutes.
 */
const SETUP_TIMEOUT_MS = 15 * 60_000;
const STEP_TIMEOUT_MS = 3 * 60_000;

const registryProblem = await npmRegistryProblem();
if (registryProblem !== null) {
  console.warn(`\n[packaging] SKIPPING the packing test: the npm registry cannot be reached (${registryProblem}).\n`);
}

function failed(what: string, run: ProcessOutcome): string {
  return `${what} exited ${run.code ?? run.signal}\n--- stdout\n${run.stdout.slice(-6000)}\n--- stderr\n${run.stderr.slice(-6000)}`;
}

describe.skipIf(registryProblem !== null)(
  `packing: every public package installed from its tarball by plain npm${registryProblem === null ? '' : ' (SKIPPED: npm registry unreachable)'}`,
  () => {
    const report: string[] = [];
    const packages = publicPackages(ROOT);
    const rootManifest = readManifest(path.join(ROOT, 'package.json'));
    let work: string;
    let project: string;
    let packed: PackedPackage[] = [];
    const env = npmEnvironment();

    const inProject = (command: string, args: readonly string[], timeoutMs = STEP_TIMEOUT_MS) =>
      runProcess(command, args, { cwd: project, env, timeoutMs });
    const timed = async <T>(label: string, step: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const value = await step();
      report.push(`${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      return value;
    };

    beforeAll(async () => {
      // `pnpm test` builds first; run alone, this test needs `pnpm exec tsc -b` before it.
      for (const pkg of packages) {
        for (const [subpath, conditions] of Object.entries(pkg.manifest.exports ?? {})) {
          const built = conditions['default'];
          if (built !== undefined && !existsSync(path.join(pkg.dir, built))) {
            throw new Error(
              `${pkg.manifest.name}: ${path.join(pkg.folder, built)} (exports "${subpath}") is not built; run \`pnpm exec tsc -b\` first (pnpm test does)`,
            );
          }
        }
      }
      work = mkdtempSync(path.join(tmpdir(), 'image-catalog-packing-'));
      const tarballs = path.join(work, 'tarballs');
      project = path.join(work, 'consumer');
      mkdirSync(tarballs);
      mkdirSync(project);

      packed = await timed(`packed ${packages.length} packages with pnpm pack`, async () => {
        const out: PackedPackage[] = [];
        for (const pkg of packages) out.push(await packPackage(pkg, tarballs));
        return out;
      });

      // A new project, as a team would start one; better-sqlite3's build script is approved as npm 11 asks.
      writeFileSync(
        path.join(project, 'package.json'),
        `${JSON.stringify({ name: 'image-catalog-consumer', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2)}\n`,
      );
      // TypeScript consumers add the @types packages our packages declare as optional peers (their READMEs say so).
      const typePeers = new Map<string, string>();
      for (const p of packed)
        for (const [name, range] of Object.entries(p.manifest.peerDependencies ?? {}))
          if (name.startsWith('@types/')) typePeers.set(name, range);
      const devTools = [
        `typescript@${rootManifest.devDependencies!['typescript']}`,
        `@types/node@${rootManifest.devDependencies!['@types/node']}`,
      ];
      const specs = [
        ...packed.map((p) => p.tarball),
        ...devTools,
        ...[...typePeers].filter(([name]) => name !== '@types/node').map(([name, range]) => `${name}@${range}`),
      ];
      const install = await timed('npm install of the tarballs, typescript and the @types peers', () =>
        inProject(
          'npm',
          ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn', ...specs],
          SETUP_TIMEOUT_MS - 60_000,
        ),
      );
      if (install.code !== 0) throw new Error(failed('npm install', install));

      for (const file of readdirSync(CONSUMER_FIXTURE)) copyFileSync(path.join(CONSUMER_FIXTURE, file), path.join(project, file));
      // Every entry point of every package in the program, so skipLibCheck: false checks all their declarations.
      const imports = packed.flatMap((p) => entryPoints(p.manifest)).map((entry, i) => `import type * as entry${i} from '${entry}';`);
      writeFileSync(
        path.join(project, 'all-entry-points.ts'),
        `// Generated by test/packaging.test.ts: loads every entry point's declarations.\n${imports.join('\n')}\n`,
      );
    }, SETUP_TIMEOUT_MS);

    afterAll(() => {
      if (work !== undefined) rmSync(work, { recursive: true, force: true });
      if (report.length > 0)
        console.log(`\n[packaging] consumer project (node ${process.version}):\n${report.map((line) => `  ${line}`).join('\n')}\n`);
    });

    it('finds the public packages from packages/*/package.json', () => {
      expect(packages.map((p) => p.manifest.name)).toEqual(
        expect.arrayContaining(Object.keys(KEY_EXPORTS).filter((k) => k.split('/').length === 2)),
      );
    });

    it('tarballs: metadata, LICENSE, CHANGELOG, no tests or build info, every imported package declared', async () => {
      const standard = {
        engines: rootManifest.engines!['node']!,
        repositoryUrl: rootManifest.repository!.url!,
        licenseText: readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'),
      };
      const problems: string[] = [];
      for (const p of packed) problems.push(...(await tarballProblems(p, standard)));
      expect(problems).toEqual([]);
      report.push(`tarballs ok: ${packed.map((p) => `${p.manifest.name}@${p.manifest.version} (${p.files.length} files)`).join(', ')}`);
    });

    it(
      'imports every entry point with plain node (ESM)',
      async () => {
        const ok: string[] = [];
        for (const entry of packed.flatMap((p) => entryPoints(p.manifest))) {
          const run = await inProject(process.execPath, [
            '--input-type=module',
            '-e',
            'const m = await import(process.argv[1]); console.log(JSON.stringify(Object.keys(m)));',
            entry,
          ]);
          expect(run.code, failed(`import('${entry}')`, run)).toBe(0);
          const names = JSON.parse(run.stdout) as string[];
          const key = KEY_EXPORTS[entry];
          if (key !== undefined) expect(names, `${entry} exports`).toContain(key);
          else expect(names.length, `${entry} exports nothing`).toBeGreaterThan(0);
          ok.push(`${entry} (${key ?? `${names.length} exports`})`);
        }
        report.push(`imports ok: ${ok.join(', ')}`);
      },
      STEP_TIMEOUT_MS,
    );

    it.each([
      ['NodeNext', 'tsconfig.nodenext.json', 'module NodeNext, moduleResolution NodeNext'],
      ['bundler', 'tsconfig.bundler.json', 'module ESNext, moduleResolution bundler'],
    ])(
      'type-checks the consumer and every entry point with skipLibCheck: false under %s resolution',
      async (_name, tsconfig, label) => {
        const run = await inProject(process.execPath, ['node_modules/typescript/bin/tsc', '-p', tsconfig]);
        expect(run.code, failed(`tsc -p ${tsconfig}`, run)).toBe(0);
        report.push(`tsc ok: ${label}, skipLibCheck false (consumer.ts + all-entry-points.ts)`);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'runs one real delete on SQLite through the Express router: 204',
      async () => {
        if (!existsSync(path.join(project, 'out', 'consumer.js'))) {
          const build = await inProject(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.nodenext.json']);
          expect(build.code, failed('tsc -p tsconfig.nodenext.json', build)).toBe(0);
        }
        const run = await inProject(process.execPath, ['out/consumer.js'], 60_000);
        expect(run.code, failed('node out/consumer.js', run)).toBe(0);
        const lines = run.stdout.trim().split('\n');
        expect(lines[0]).toMatch(/^consumer: DELETE \/v2\/images\/[0-9a-f-]{36} -> 204$/);
        expect(lines.slice(1)).toEqual([
          'consumer: DELETE again -> 404',
          'consumer: DELETE without identity -> 401',
          'consumer: image data removed -> yes',
          "consumer: DeleteImage.execute('not-a-uuid') -> InvalidImageId, 400, not an image id",
        ]);
        report.push(...lines);
      },
      STEP_TIMEOUT_MS,
    );

    it(
      'installs each bin: --help works, and the SQLite migrate command checks and applies',
      async () => {
        const bins = packed.flatMap((p) => Object.keys(p.manifest.bin ?? {}));
        for (const bin of bins) {
          const run = await inProject(path.join(project, 'node_modules', '.bin', bin), ['--help']);
          expect(run.code, failed(`${bin} --help`, run)).toBe(0);
          expect(run.stdout).toContain(`usage: ${bin}`);
        }
        const db = path.join(project, 'ops.db');
        const sqliteMigrate = path.join(project, 'node_modules', '.bin', 'image-catalog-sqlite-migrate');
        const steps = [
          { args: [db, '--check'], code: 1 },
          { args: [db], code: 0 },
          { args: [db, '--check'], code: 0 },
        ];
        for (const step of steps) {
          const run = await inProject(sqliteMigrate, step.args);
          expect(run.code, failed(`image-catalog-sqlite-migrate ${step.args.join(' ')}`, run)).toBe(step.code);
        }
        report.push(`bins ok: ${bins.join(', ')} (--help); image-catalog-sqlite-migrate --check 1 → apply 0 → --check 0`);
      },
      STEP_TIMEOUT_MS,
    );
  },
);
