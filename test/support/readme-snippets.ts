// Finds the TypeScript blocks of the repository's Markdown and type-checks them, each as its own module, in one program.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** One fenced ```ts / ```typescript block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repository root, with `/` separators. */
  readonly markdownPath: string;
  /** 1-based position among the file's TypeScript blocks (checked and skipped alike). */
  readonly block: number;
  /** 1-based line, in the Markdown file, of the block's first line of code. */
  readonly startLine: number;
  readonly code: string;
  /** The info string says `nocheck`: a fragment that is deliberately not standalone code. */
  readonly skip: boolean;
}

/** A problem found in a snippet, located in its Markdown file. */
export interface SnippetProblem {
  readonly snippet: Snippet;
  /** 1-based line and column in the Markdown file. */
  readonly line: number;
  readonly column: number;
  readonly code: string;
  readonly message: string;
  /** The offending line as it reads in the Markdown file. */
  readonly source: string;
}

export interface SnippetCheck {
  readonly problems: ReadonlyMap<Snippet, readonly SnippetProblem[]>;
  /** Problems outside any snippet (compiler options, workspace sources a snippet imports). */
  readonly general: readonly string[];
}

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', 'coverage']);
const TS_LANGUAGES = new Set(['ts', 'typescript']);
export const NOCHECK = 'nocheck';

/** Every README.md of the repository (any folder but node_modules, .git, dist) and every docs/*.md, sorted. */
export function findMarkdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path.join(dir, entry.name));
      } else if (entry.isFile() && entry.name === 'README.md') {
        found.push(path.join(dir, entry.name));
      }
    }
  };
  walk(root);
  const docs = path.join(root, 'docs');
  try {
    for (const entry of readdirSync(docs, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.md') && entry.name !== 'README.md') found.push(path.join(docs, entry.name));
    }
  } catch {
    // No docs folder: nothing to add.
  }
  return found.map((file) => path.relative(root, file).split(path.sep).join('/')).sort();
}

/**
 * The ```ts / ```typescript blocks of a Markdown text (backtick or tilde fences, any indentation,
 * closed by a fence of the same character at least as long). `nocheck` in the info string marks a
 * block as skipped.
 */
export function extractSnippets(markdownPath: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  let block = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = '', fence = '', info = ''] = open;
    if (fence.startsWith('`') && info.includes('`')) continue; // not a fence: an inline code span
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    const words = info
      .trim()
      .split(/[\s,{}]+/)
      .filter(Boolean);
    const language = (words[0] ?? '').toLowerCase();
    if (TS_LANGUAGES.has(language)) {
      block++;
      const body = lines.slice(i + 1, end).map((line) => stripIndent(line, indent.length));
      snippets.push({ markdownPath, block, startLine: i + 2, code: body.join('\n'), skip: words.slice(1).includes(NOCHECK) });
    }
    i = end;
  }
  return snippets;
}

function stripIndent(line: string, width: number): string {
  let cut = 0;
  while (cut < width && line[cut] === ' ') cut++;
  return line.slice(cut);
}

/** Compiler options of the workspace (tsconfig.base.json), for code that is type-checked, never emitted. */
export function snippetCompilerOptions(root: string): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.base.json');
  const read = ts.readConfigFile(configPath, (file) => readFileSync(file, 'utf8'));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
    // Every snippet is a module, even one without import or export, so no two share a scope.
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
}

/**
 * The folder, relative to `root` (`''` for the root itself), of the package a Markdown file
 * belongs to: the nearest folder above it, up to `root`, that holds a `package.json`.
 */
export function packageFolderOf(root: string, markdownPath: string): string {
  let folder = path.posix.dirname(markdownPath);
  while (folder !== '.' && folder !== '') {
    if (existsSync(path.join(root, ...folder.split('/'), 'package.json'))) return folder;
    folder = path.posix.dirname(folder);
  }
  return '';
}

/**
 * Where a snippet's file goes: under its own package's `node_modules/.cache/readme-snippets/`,
 * in the folder that mirrors the Markdown file's, named `<markdown file>.<block>.ts`.
 */
export function snippetFile(root: string, snippet: Snippet): string {
  const folder = packageFolderOf(root, snippet.markdownPath);
  const inPackage = folder === '' ? snippet.markdownPath : path.posix.relative(folder, snippet.markdownPath);
  return path.join(snippetCacheOf(root, folder), ...`${inPackage}.${snippet.block}.ts`.split('/'));
}

/** The path a snippet stands for: a file beside its Markdown file. */
function besideMarkdown(root: string, snippet: Snippet): string {
  return path.join(root, ...`${snippet.markdownPath}.${snippet.block}.ts`.split('/'));
}

function snippetCacheOf(root: string, packageFolder: string): string {
  return path.join(root, ...(packageFolder === '' ? [] : packageFolder.split('/')), 'node_modules', '.cache', 'readme-snippets');
}

/**
 * Type-checks the snippets with one program. Each is written to
 * `<its package>/node_modules/.cache/readme-snippets/<markdown path in the package>.<block>.ts`,
 * its package being the nearest folder above the Markdown file with a `package.json` (the
 * repository root for the root README and docs/). So a snippet resolves its imports the way a
 * user of that package would: the package's own dependencies and dev dependencies first (hono in
 * `@image-catalog/http`'s README, prom-client in the example's), then the workspace root's, where
 * `@image-catalog/*` are the workspace packages, read through their `source` condition. A
 * relative import (`./src/metrics.js`) resolves from the Markdown file's own folder, as it would
 * for a reader who pastes the block into a file beside it.
 * Besides compiler errors, an `await` on something that is not a promise and a `switch` over a
 * union of literals without a `never` default are reported.
 */
export function checkSnippets(root: string, snippets: readonly Snippet[]): SnippetCheck {
  const folders = new Set(snippets.map((s) => packageFolderOf(root, s.markdownPath)));
  for (const cache of [...folders].map((folder) => snippetCacheOf(root, folder))) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    // node_modules/ ends the search for a package scope, so the snippets need their own: ESM, like the workspace.
    writeFileSync(path.join(cache, 'package.json'), '{ "type": "module" }\n');
  }

  const byFile = new Map<string, Snippet>();
  for (const snippet of snippets) {
    const file = snippetFile(root, snippet);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${snippet.code}\n`);
    byFile.set(path.resolve(file), snippet);
  }

  const options = snippetCompilerOptions(root);
  const host = ts.createCompilerHost(options);
  const resolutionCache = ts.createModuleResolutionCache(root, (file) => host.getCanonicalFileName(file), options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirectedReference, compilerOptions, containingSourceFile) => {
    const snippet = byFile.get(path.resolve(containingFile));
    return literals.map((literal) => {
      // A snippet's relative imports start where its Markdown file is; everything else where the snippet's file is.
      const from = snippet !== undefined && /^\.\.?(\/|$)/.test(literal.text) ? besideMarkdown(root, snippet) : containingFile;
      const mode = ts.getModeForUsageLocation(containingSourceFile, literal, compilerOptions);
      return ts.resolveModuleName(literal.text, from, compilerOptions, host, resolutionCache, redirectedReference, mode);
    });
  };
  const program = ts.createProgram({ rootNames: [...byFile.keys()], options, host });
  const checker = program.getTypeChecker();
  const problems = new Map<Snippet, SnippetProblem[]>(snippets.map((s) => [s, []]));
  const general: string[] = [];

  const record = (diagnostic: ts.Diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const snippet = diagnostic.file ? byFile.get(path.resolve(diagnostic.file.fileName)) : undefined;
    if (diagnostic.file === undefined || snippet === undefined) {
      const where = diagnostic.file ? `${path.relative(root, diagnostic.file.fileName)}: ` : '';
      general.push(`${where}TS${diagnostic.code}: ${message}`);
      return;
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    problems.get(snippet)!.push(locate(snippet, line, character, `TS${diagnostic.code}`, message));
  };

  program.getOptionsDiagnostics().forEach(record);
  program.getGlobalDiagnostics().forEach(record);
  for (const [file, snippet] of byFile) {
    const source = program.getSourceFile(file);
    if (source === undefined) {
      general.push(`${snippet.markdownPath} block ${snippet.block}: the compiler did not load ${file}`);
      continue;
    }
    program.getSyntacticDiagnostics(source).forEach(record);
    program.getSemanticDiagnostics(source).forEach(record);
    for (const node of awaitsOfNonPromises(source, checker)) {
      const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
      const type = checker.typeToString(checker.getTypeAtLocation(node.expression));
      problems
        .get(snippet)!
        .push(
          locate(
            snippet,
            line,
            character,
            'await',
            `'await' on a value of type '${type}', which is not a promise: drop the await, or call the method that returns one`,
          ),
        );
    }
    for (const node of switchesWithoutNeverDefault(source, checker)) {
      const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
      const over = node.expression.getText(source);
      problems
        .get(snippet)!
        .push(
          locate(
            snippet,
            line,
            character,
            'exhaustive',
            `switch over '${over}' (a union of literals) has no default that uses the value as 'never': add \`default: { const unreachable: never = ...; }\` so a new kind fails compilation`,
          ),
        );
    }
  }
  return { problems, general };
}

function locate(snippet: Snippet, line: number, character: number, code: string, message: string): SnippetProblem {
  return {
    snippet,
    line: snippet.startLine + line,
    column: character + 1,
    code,
    message,
    source: (snippet.code.split('\n')[line] ?? '').trim(),
  };
}

/** `await x` where `x` has no `then`: harmless at run time, but it says the reader misread the API. */
function awaitsOfNonPromises(source: ts.SourceFile, checker: ts.TypeChecker): ts.AwaitExpression[] {
  const found: ts.AwaitExpression[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isAwaitExpression(node)) {
      const type = checker.getTypeAtLocation(node.expression);
      if (!mayBeThenable(type)) found.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * `switch` statements over a union of literal types (`failure.kind`) whose `default` clause does
 * not use a `never`-typed value: the compiler cannot point at a kind such a switch forgets.
 */
function switchesWithoutNeverDefault(source: ts.SourceFile, checker: ts.TypeChecker): ts.SwitchStatement[] {
  const found: ts.SwitchStatement[] = [];
  const usesNever = (node: ts.Node): boolean =>
    (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) && (checker.getTypeAtLocation(node).flags & ts.TypeFlags.Never) !== 0
      ? true
      : (ts.forEachChild(node, usesNever) ?? false);
  const visit = (node: ts.Node) => {
    if (ts.isSwitchStatement(node)) {
      const type = checker.getTypeAtLocation(node.expression);
      const overLiterals = type.isUnion() && type.types.every((t) => t.isLiteral() || (t.flags & ts.TypeFlags.BooleanLiteral) !== 0);
      const fallback = node.caseBlock.clauses.find(ts.isDefaultClause);
      if (overLiterals && (fallback === undefined || !usesNever(fallback))) found.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function mayBeThenable(type: ts.Type): boolean {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.Never)) return true;
  if (type.isUnion()) return type.types.some(mayBeThenable);
  if (type.isIntersection()) return type.types.some(mayBeThenable);
  return type.getProperty('then') !== undefined;
}

/** `packages/core/README.md:23:5 (block 1) TS2304: Cannot find name 'x'.` plus the line itself. */
export function formatProblem(problem: SnippetProblem): string {
  const { snippet } = problem;
  return `${snippet.markdownPath}:${problem.line}:${problem.column} (block ${snippet.block}) ${problem.code}: ${problem.message}\n    | ${problem.source}`;
}
