// What is wrong with a packed package as a consumer would receive it: metadata, contents and declared dependencies, one sentence per problem.
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { PackedPackage } from './pack-package.js';
import type { PackageManifest } from './public-packages.js';

/** What every package must agree with: the root manifest and LICENSE. */
export interface PackingStandard {
  readonly engines: string;
  readonly repositoryUrl: string;
  readonly licenseText: string;
}

/** Files a consumer must never receive: tests, test support, build info, fixtures. */
const NOT_FOR_CONSUMERS = [
  /\.test\.[cm]?[jt]sx?(\.map)?$/,
  /\.test\.d\.[cm]?ts(\.map)?$/,
  /(^|\/)test-support\//,
  /\.tsbuildinfo$/,
  /(^|\/)__fixtures__\//,
  /(^|\/)\.DS_Store$/,
];

/** The package a bare specifier names: `pg` for `pg/lib/x`, `@scope/name` for `@scope/name/sub`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Bare specifiers a compiled module imports: top-level `import`/`export ... from` and `import '…'`
 * statements (tsc starts them at the beginning of a line, so comments and strings do not match)
 * and `import('…')` with a literal.
 */
function bareImports(source: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /^(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.add(match[1]!);
  return [...found].filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('/'));
}

async function manifestProblems(packed: PackedPackage, standard: PackingStandard): Promise<string[]> {
  const m = packed.manifest;
  const problems: string[] = [];
  const text = JSON.stringify(m);
  if (text.includes('workspace:')) problems.push('package.json still holds a workspace: range');
  if (m.engines?.['node'] !== standard.engines)
    problems.push(`engines.node is ${JSON.stringify(m.engines?.['node'])}, the workspace's is ${standard.engines}`);
  if (m.license !== 'Apache-2.0') problems.push(`license is ${JSON.stringify(m.license)}, not Apache-2.0`);
  if (m.repository?.type !== 'git' || m.repository.url !== standard.repositoryUrl)
    problems.push(`repository is not { type: git, url: ${standard.repositoryUrl} }`);
  if (m.repository?.directory !== packed.source.folder)
    problems.push(`repository.directory is ${JSON.stringify(m.repository?.directory)}, not ${packed.source.folder}`);
  for (const [subpath, conditions] of Object.entries(m.exports ?? {})) {
    if ('source' in conditions)
      problems.push(`exports["${subpath}"] publishes the "source" condition (TypeScript sources are for the workspace)`);
    for (const [condition, target] of Object.entries(conditions)) {
      if (!packed.files.includes(target.replace(/^\.\//, '')))
        problems.push(`exports["${subpath}"].${condition} → ${target} is not in the tarball`);
    }
    if (!('types' in conditions)) problems.push(`exports["${subpath}"] has no types condition`);
  }
  const sourceExports = Object.keys(packed.source.manifest.exports ?? {});
  if (JSON.stringify(Object.keys(m.exports ?? {})) !== JSON.stringify(sourceExports)) {
    problems.push(
      `published exports ${JSON.stringify(Object.keys(m.exports ?? {}))} differ from the workspace's ${JSON.stringify(sourceExports)} (update publishConfig.exports)`,
    );
  }
  for (const [name, target] of Object.entries(m.bin ?? {})) {
    const file = target.replace(/^\.\//, '');
    if (!packed.files.includes(file)) problems.push(`bin ${name} → ${target} is not in the tarball`);
    else if (!(await packed.readEntry(file)).startsWith('#!/usr/bin/env node\n'))
      problems.push(`bin ${name} does not start with #!/usr/bin/env node`);
  }
  for (const [name, meta] of Object.entries(m.peerDependenciesMeta ?? {})) {
    if (meta.optional && m.peerDependencies?.[name] === undefined) problems.push(`peerDependenciesMeta names ${name}, which is no peer`);
  }
  return problems;
}

async function contentProblems(packed: PackedPackage, standard: PackingStandard): Promise<string[]> {
  const problems: string[] = [];
  for (const file of packed.files) {
    if (NOT_FOR_CONSUMERS.some((pattern) => pattern.test(file))) problems.push(`ships ${file}, which is not for consumers`);
  }
  for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    if (!packed.files.includes(required)) problems.push(`has no ${required}`);
  }
  if (packed.files.includes('LICENSE') && (await packed.readEntry('LICENSE')) !== standard.licenseText)
    problems.push('LICENSE is not the Apache-2.0 text of the repository root');
  if (packed.files.includes('CHANGELOG.md') && !(await packed.readEntry('CHANGELOG.md')).includes(`## ${packed.manifest.version}\n`)) {
    problems.push(`CHANGELOG.md has no entry for ${packed.manifest.version}`);
  }
  return problems;
}

/** Every package a shipped module imports at run time must be a dependency or a peer: npm installs nothing else. */
function dependencyProblems(packed: PackedPackage): string[] {
  const m: PackageManifest = packed.manifest;
  const declared = new Set([
    ...Object.keys(m.dependencies ?? {}),
    ...Object.keys(m.peerDependencies ?? {}).filter((p) => m.peerDependenciesMeta?.[p]?.optional !== true),
  ]);
  const problems = new Set<string>();
  for (const file of packed.files.filter((f) => /\.[cm]?js$/.test(f))) {
    const source = readFileSync(path.join(packed.source.dir, file), 'utf8');
    for (const specifier of bareImports(source)) {
      const name = packageOf(specifier);
      if (isBuiltin(specifier) || name === m.name) continue;
      if (!declared.has(name)) problems.add(`${file} imports ${specifier}, but ${name} is neither a dependency nor a required peer`);
    }
  }
  return [...problems];
}

export async function tarballProblems(packed: PackedPackage, standard: PackingStandard): Promise<string[]> {
  return [...(await manifestProblems(packed, standard)), ...(await contentProblems(packed, standard)), ...dependencyProblems(packed)].map(
    (problem) => `${packed.manifest.name}: ${problem}`,
  );
}
