// Every ```ts block of every README and of docs/*.md type-checks as its own module, as a reader of that package would paste it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkSnippets,
  extractSnippets,
  findMarkdownFiles,
  formatProblem,
  NOCHECK,
  packageFolderOf,
  snippetFile,
  type Snippet,
  type SnippetCheck,
} from './support/readme-snippets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const files = findMarkdownFiles(ROOT);
const snippets = files.flatMap((file) => extractSnippets(file, readFileSync(path.join(ROOT, file), 'utf8')));
const checked = snippets.filter((s) => !s.skip);
const skipped = snippets.filter((s) => s.skip);

// A Markdown text with known mistakes, checked in the same program: proves the check can fail and points at the right line.
const SELF_CHECK_MARKDOWN = [
  '# self-check', //                                       line 1
  '',
  '```ts', //                                              line 3
  "import { DELETE_IMAGE_FAILURE_KINDS } from '@image-catalog/core';",
  'const kinds: number = DELETE_IMAGE_FAILURE_KINDS;', //  line 5: not a number
  '```',
  '',
  '- in a list:',
  '  ```typescript', //                                    line 9
  '  const value = 1;',
  '  await value;', //                                     line 11: await on a number
  '  ```',
  '',
  '```ts nocheck',
  'this is not code',
  '```',
  '',
  '```ts',
  "declare const failure: { kind: 'A' } | { kind: 'B' };",
  'switch (failure.kind) {', //                           line 20: no exhaustive default
  "  case 'A': break;",
  '}',
  'switch (failure.kind) {',
  "  case 'A': break;",
  "  case 'B': break;",
  '  default: { const unreachable: never = failure; throw unreachable; }',
  '}',
  '```',
  '',
  '```js',
  'not TypeScript, not extracted',
  '```',
].join('\n');
const selfCheck = extractSnippets('(self-check).md', SELF_CHECK_MARKDOWN);

// One import of a dev dependency of @image-catalog/http (not of the root): it resolves from that package's README only.
const RESOLUTION_MARKDOWN = ['```ts', "import { Hono } from 'hono';", 'export const app: Hono = new Hono();', '```'].join('\n');
const [inPackage, atRoot] = [
  extractSnippets('packages/http/(self-check).md', RESOLUTION_MARKDOWN)[0]!,
  extractSnippets('(self-check resolution).md', RESOLUTION_MARKDOWN)[0]!,
];
// A relative import resolves from the Markdown file's folder, as in a README that quotes its package's own modules.
const RELATIVE_MARKDOWN = [
  '```ts',
  "import { FAILURE_STATUS } from './src/status-table.js';",
  'export const status: 404 = FAILURE_STATUS.ImageNotFound;',
  '```',
].join('\n');
const [relative, relativeAtRoot] = [
  extractSnippets('packages/http/(self-check relative).md', RELATIVE_MARKDOWN)[0]!,
  extractSnippets('(self-check relative).md', RELATIVE_MARKDOWN)[0]!,
];

let result: SnippetCheck;

beforeAll(() => {
  result = checkSnippets(ROOT, [...checked, ...selfCheck.filter((s) => !s.skip), inPackage, atRoot, relative, relativeAtRoot]);
}, 120_000);

afterAll(() => {
  const list = skipped.map((s) => `${s.markdownPath} block ${s.block} (line ${s.startLine})`).join(', ');
  console.info(
    `[readme snippets] ${checked.length} TypeScript blocks type-checked from ${new Set(snippets.map((s) => s.markdownPath)).size} Markdown files; ` +
      `${skipped.length} skipped as \`${NOCHECK}\`${skipped.length > 0 ? `: ${list}` : ''}`,
  );
});

function problemsOf(snippet: Snippet): string[] {
  return (result.problems.get(snippet) ?? []).map(formatProblem);
}

describe('README snippets', () => {
  it('finds the READMEs and their TypeScript blocks', () => {
    expect(files).toContain('README.md');
    expect(files.some((f) => f.startsWith('packages/'))).toBe(true);
    expect(files.every((f) => !f.includes('node_modules/'))).toBe(true);
    expect(checked.length).toBeGreaterThan(10);
    // Exceptions stay rare: a skipped block must be a fragment that cannot be made standalone.
    expect(skipped.length).toBeLessThanOrEqual(3);
  });

  it('compiles with the workspace settings, and nothing outside the snippets fails', () => {
    expect(result.general, result.general.join('\n')).toEqual([]);
  });

  it('reports a failure with the Markdown path, the block and the line (self-check)', () => {
    expect(selfCheck.map((s) => [s.block, s.startLine, s.skip])).toEqual([
      [1, 4, false],
      [2, 10, false],
      [3, 15, true],
      [4, 19, false],
    ]);
    expect(selfCheck[1]!.code).toBe('const value = 1;\nawait value;');
    const [typeError, awaited, , switches] = selfCheck.map(problemsOf);
    expect(typeError).toHaveLength(1);
    expect(typeError![0]).toMatch(/^\(self-check\)\.md:5:7 \(block 1\) TS2322: .*not assignable to type 'number'/);
    expect(awaited).toEqual([expect.stringMatching(/^\(self-check\)\.md:11:1 \(block 2\) await: 'await' on a value of type '1'/)]);
    expect(switches).toEqual([expect.stringMatching(/^\(self-check\)\.md:20:1 \(block 4\) exhaustive: switch over 'failure\.kind'/)]);
  });

  it("resolves a snippet's imports from its own package, and relative ones from its Markdown file's folder (self-check)", () => {
    expect(packageFolderOf(ROOT, 'packages/http/README.md')).toBe('packages/http');
    expect(packageFolderOf(ROOT, 'docs/behaviour.md')).toBe('');
    expect(path.relative(ROOT, snippetFile(ROOT, inPackage)).split(path.sep).join('/')).toBe(
      'packages/http/node_modules/.cache/readme-snippets/(self-check).md.1.ts',
    );
    expect(problemsOf(inPackage)).toEqual([]);
    expect(problemsOf(relative)).toEqual([]);
    expect(problemsOf(relativeAtRoot)).toEqual([
      expect.stringMatching(/^\(self-check relative\)\.md:2:\d+ \(block 1\) TS2307: Cannot find module '\.\/src\/status-table\.js'/),
    ]);
    expect(problemsOf(atRoot)).toEqual([
      expect.stringMatching(/^\(self-check resolution\)\.md:2:\d+ \(block 1\) TS2307: Cannot find module 'hono'/),
    ]);
  });

  for (const file of files) {
    const blocks = snippets.filter((s) => s.markdownPath === file);
    if (blocks.length === 0) continue;
    describe(file, () => {
      for (const snippet of blocks) {
        const title = `block ${snippet.block} (line ${snippet.startLine})`;
        if (snippet.skip) {
          it.skip(`${title}: marked ${NOCHECK}`, () => {});
          continue;
        }
        it(`${title} type-checks`, () => {
          const problems = problemsOf(snippet);
          if (problems.length > 0) throw new Error(`${problems.length} problem(s):\n${problems.join('\n')}`);
        });
      }
    });
  }
});
