// Packs one workspace package with `pnpm pack` (which, unlike npm pack, rewrites `workspace:` ranges and applies publishConfig) and reads back what the tarball holds.
import { runProcess } from '@image-catalog/testkit/process';
import type { PackageManifest, WorkspacePackage } from './public-packages.js';

export interface PackedPackage {
  readonly source: WorkspacePackage;
  /** Absolute path of the `.tgz`. */
  readonly tarball: string;
  /** Paths inside the tarball, relative to its `package/` folder. */
  readonly files: readonly string[];
  /** The package.json as published. */
  readonly manifest: PackageManifest;
  readEntry(file: string): Promise<string>;
}

async function readTarEntry(tarball: string, file: string): Promise<string> {
  const run = await runProcess('tar', ['-xzOf', tarball, `package/${file}`], { timeoutMs: 30_000 });
  if (run.code !== 0) throw new Error(`cannot read ${file} from ${tarball}: ${run.stderr}`);
  return run.stdout;
}

export async function packPackage(source: WorkspacePackage, destination: string): Promise<PackedPackage> {
  const run = await runProcess('pnpm', ['pack', '--json', '--pack-destination', destination], { cwd: source.dir, timeoutMs: 120_000 });
  if (run.code !== 0) throw new Error(`pnpm pack failed in ${source.folder} (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  const start = run.stdout.indexOf('{');
  const report = JSON.parse(run.stdout.slice(start)) as { filename: string; files: { path: string }[] };
  const tarball = report.filename;
  const manifest = JSON.parse(await readTarEntry(tarball, 'package.json')) as PackageManifest;
  return { source, tarball, files: report.files.map((f) => f.path).sort(), manifest, readEntry: (file) => readTarEntry(tarball, file) };
}
