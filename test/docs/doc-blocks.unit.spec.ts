import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDocBlocks,
  extractDocBlocks,
  findMarkdownFiles,
  importsWeft,
  readDocBlocks,
  type DocBlock,
  type DocCheck,
} from '../../scripts/doc-blocks.js';

const FENCE = '```';

// Line numbers in the expectations below count from these lines, so keep each fixture's lines in place.
const FIXTURES: Readonly<Record<string, readonly string[]>> = {
  'README.md': [
    '# Good', // 1
    '', // 2
    `${FENCE}ts`, // 3
    "import { createTestDatabase } from 'weft/testing';", // 4
    "import { isWeftError, type Database } from 'weft';", // 5
    '', // 6
    'await using db = await createTestDatabase();', // 7
    'const same: Database = db;', // 8
    'await same.ping();', // 9
    "export const known: boolean = isWeftError(new Error('x'), 'WEFT_CONFLICT');", // 10
    FENCE, // 11
  ],
  'docs/guide.md': [
    '# Guide', // 1
    '', // 2
    'A fragment: no import, so not checked.', // 3
    '', // 4
    `${FENCE}ts`, // 5
    "const skipped: number = 'x';", // 6
    FENCE, // 7
    '', // 8
    `${FENCE}typescript`, // 9
    "import type { Database } from 'weft';", // 10
    '', // 11
    'export type Db = Database;', // 12
    "const n: number = 'x';", // 13
    FENCE, // 14
    '', // 15
    `${FENCE}js`, // 16
    "import { createIntegration } from 'weft';", // 17
    "const notTs: number = 'x';", // 18
    FENCE, // 19
    '', // 20
    `${FENCE}ts`, // 21
    "import { z } from 'zod';", // 22
    "const notWeft: number = 'x';", // 23
    FENCE, // 24
  ],
  'docs/parts/events.md': [
    '- In a list item:', // 1
    '', // 2
    `  ${FENCE}ts`, // 3
    "  import { notAThing } from 'weft';", // 4
    "  import { defineEvent } from 'weft/events';", // 5
    '  void defineEvent;', // 6
    `  ${FENCE}`, // 7
    '', // 8
    `${FENCE}${FENCE}md`, // 9
    `${FENCE}ts`, // 10
    "import { createIntegration } from 'weft';", // 11
    "const inside: number = 'a markdown example, not a block';", // 12
    FENCE, // 13
    `${FENCE}${FENCE}`, // 14
  ],
};

let root: string;
let result: DocCheck;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'weft-doc-blocks-'));
  for (const [file, lines] of Object.entries(FIXTURES)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), `${lines.join('\n')}\n`);
  }
  // One program for every fixture block, as `npm run check:docs` builds one for every doc block.
  result = checkDocBlocks(readDocBlocks(root), process.cwd());
}, 120_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function problemsOf(file: string): readonly string[] {
  return result.problems.filter((p) => p.startsWith(`${file}:`));
}

describe('doc blocks', () => {
  it('finds README.md and the markdown under docs/, nested folders too', () => {
    expect(findMarkdownFiles(root)).toEqual(['README.md', 'docs/guide.md', 'docs/parts/events.md']);
  });

  it('keeps only ts blocks that import from weft, with the markdown line of their first line of code', () => {
    expect(readDocBlocks(root).map(({ file, line }) => `${file}:${line}`)).toEqual([
      'README.md:4',
      'docs/guide.md:10',
      'docs/parts/events.md:4',
    ]);
    expect(result.checked).toBe(3);
  });

  it('passes a good block, with top-level await, await using and a type import', () => {
    expect(problemsOf('README.md')).toEqual([]);
  });

  it('reports a type error with its file and markdown line', () => {
    expect(problemsOf('docs/guide.md')).toEqual([
      "docs/guide.md:13: Type 'string' is not assignable to type 'number'.",
    ]);
  });

  it('skips a fragment without a weft import, a js block, and a block importing only from other packages', () => {
    expect(result.problems.filter((p) => /^docs\/(guide|parts\/events)\.md:(6|12|18|23):/.test(p))).toEqual([]);
  });

  it('fails a block importing a name weft does not export, in a fence indented inside a list item', () => {
    expect(problemsOf('docs/parts/events.md')).toEqual([
      `docs/parts/events.md:4: Module '"weft"' has no exported member 'notAThing'.`,
    ]);
  });

  it('reports nothing else', () => {
    expect(result.problems).toHaveLength(2);
  });

  it('tells weft imports from others: subpaths, type-only imports and re-exports count; lookalikes do not', () => {
    expect(importsWeft("import type { Database } from 'weft';")).toBe(true);
    expect(importsWeft("import { defineEvent } from 'weft/events';")).toBe(true);
    expect(importsWeft("export { createIntegration } from 'weft';")).toBe(true);
    expect(importsWeft("import 'weft';")).toBe(true);
    expect(importsWeft("import { x } from 'weft-extra';")).toBe(false);
    expect(importsWeft("import { z } from 'zod';\n// from 'weft'")).toBe(false);
    expect(importsWeft("const db = await createDatabase('sqlite::memory:');")).toBe(false);
  });

  it('strips the fence indentation and handles an unclosed fence as running to the end', () => {
    const blocks: DocBlock[] = extractDocBlocks(
      'x.md',
      ['1. Item', '   ~~~~ts', "   import 'weft';", '     indented();', '   ~~~~', '', '```ts', "import 'weft';"].join(
        '\n',
      ),
    );
    expect(blocks).toEqual([
      { file: 'x.md', line: 3, code: "import 'weft';\n  indented();" },
      { file: 'x.md', line: 8, code: "import 'weft';" },
    ]);
  });
});
