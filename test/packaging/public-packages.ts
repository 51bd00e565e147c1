// The workspace's publishable packages, found from packages/*/package.json (private ones skipped), so a new package is packed and checked without editing the test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The fields of a package.json the packing test reads. */
export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly engines?: Readonly<Record<string, string>>;
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string };
  readonly exports?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly bin?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly publishConfig?: Readonly<Record<string, unknown>>;
}

export interface WorkspacePackage {
  /** Absolute folder. */
  readonly dir: string;
  /** Relative to the repository root, e.g. `packages/sqlite`: what `repository.directory` must say. */
  readonly folder: string;
  readonly manifest: PackageManifest;
}

export function readManifest(file: string): PackageManifest {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
}

/** Every `packages/<name>/package.json` without `"private": true`, by folder name. */
export function publicPackages(root: string): WorkspacePackage[] {
  const packagesDir = path.join(root, 'packages');
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(packagesDir, entry.name, 'package.json')))
    .map((entry) => ({
      dir: path.join(packagesDir, entry.name),
      folder: `packages/${entry.name}`,
      manifest: readManifest(path.join(packagesDir, entry.name, 'package.json')),
    }))
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/** `@image-catalog/testkit` for `.`, `@image-catalog/testkit/process` for `./process`. */
export function entryPoints(manifest: PackageManifest): string[] {
  return Object.keys(manifest.exports ?? { '.': {} }).map((subpath) =>
    subpath === '.' ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, '')}`,
  );
}
