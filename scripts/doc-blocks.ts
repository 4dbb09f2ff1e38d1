import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** A `ts` code block of a markdown file that imports from `weft`: a complete module. */
export interface DocBlock {
  /** The markdown file, relative to the folder it was read from, with `/`. */
  readonly file: string;
  /** The markdown line (1-based) of the block's first line of code. */
  readonly line: number;
  readonly code: string;
}

/** What checking the blocks found: how many were checked, and one line per diagnostic. */
export interface DocCheck {
  readonly checked: number;
  readonly problems: readonly string[];
}

const TS_INFO = new Set(['ts', 'typescript']);
const OPENING_FENCE = /^( *)(`{3,}|~{3,})(.*)$/;

/** The markdown files whose blocks are checked: README.md and every .md under docs/, relative to `root`. */
export function findMarkdownFiles(root: string): string[] {
  const files: string[] = [];
  if (isFile(join(root, 'README.md'))) files.push('README.md');
  const docs = join(root, 'docs');
  if (isDirectory(docs)) {
    for (const file of walkMarkdown(docs)) files.push(relative(root, file).split(sep).join('/'));
  }
  return files;
}

/** Every `ts`/`typescript` fenced block of `markdown` that imports from `weft` or a `weft/...` subpath. */
export function extractDocBlocks(file: string, markdown: string): DocBlock[] {
  return extractTsBlocks(file, markdown).filter((block) => importsWeft(block.code));
}

/** Reads the blocks of `findMarkdownFiles(root)` that import from `weft`. */
export function readDocBlocks(root: string): DocBlock[] {
  return findMarkdownFiles(root).flatMap((file) => extractDocBlocks(file, readFileSync(join(root, file), 'utf8')));
}

/**
 * Typechecks each block as its own module, in one program, with the compiler options of `projectRoot`/tsconfig.json.
 */
export function checkDocBlocks(blocks: readonly DocBlock[], projectRoot: string): DocCheck {
  if (blocks.length === 0) return { checked: 0, problems: [] };
  const options = readCompilerOptions(projectRoot);
  // The blocks live at virtual paths inside the repository so that `weft` resolves through its package.json
  // (self-reference, `source` condition) and the files are ES modules ("type": "module"), as tests are.
  const virtualDir = `${toSlashes(projectRoot)}/.doc-blocks`;
  const byFile = new Map<string, DocBlock>(blocks.map((block, i) => [`${virtualDir}/block-${i}.ts`, block]));
  const base = ts.createCompilerHost(options, true);
  const host: ts.CompilerHost = {
    ...base,
    getSourceFile: (fileName, languageVersion, onError, shouldCreate) => {
      const block = byFile.get(fileName);
      return block === undefined
        ? base.getSourceFile(fileName, languageVersion, onError, shouldCreate)
        : ts.createSourceFile(fileName, block.code, languageVersion, true);
    },
    fileExists: (fileName) => byFile.has(fileName) || base.fileExists(fileName),
    readFile: (fileName) => byFile.get(fileName)?.code ?? base.readFile(fileName),
  };

  const program = ts.createProgram({ rootNames: [...byFile.keys()], options, host });
  const problems = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map(
    (d) => `tsconfig.json: ${messageOf(d)}`,
  );
  for (const [fileName, block] of byFile) {
    const sourceFile = program.getSourceFile(fileName);
    if (sourceFile === undefined) throw new Error(`The program lost ${block.file}:${block.line}`);
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const d of diagnostics) {
      const lineInBlock = d.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(d.start).line;
      problems.push(`${block.file}:${block.line + lineInBlock}: ${messageOf(d)}`);
    }
  }
  return { checked: blocks.length, problems };
}

/** Checks the blocks of README.md and docs/ under `root` against `root`'s tsconfig.json. */
export function checkDocs(root: string): DocCheck {
  return checkDocBlocks(readDocBlocks(root), root);
}

/** Whether a block has a top-level import or re-export from `weft` or `weft/...` (type-only ones too). */
export function importsWeft(code: string): boolean {
  const sourceFile = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return sourceFile.statements.some(
    (s) =>
      (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) &&
      s.moduleSpecifier !== undefined &&
      ts.isStringLiteral(s.moduleSpecifier) &&
      /^weft(\/|$)/.test(s.moduleSpecifier.text),
  );
}

/** Fenced blocks per CommonMark: a fence closes only on the same character, at least as long, with nothing after it. */
function extractTsBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING_FENCE.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', info = ''] = open;
    if (fence.startsWith('`') && info.includes('`')) continue;
    const closing = new RegExp(`^ *${fence[0] === '`' ? '`' : '~'}{${fence.length},} *$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !closing.test(lines[j] ?? ''); j++) {
      // A fence indented inside a list item: its lines lose as much indentation as the fence has.
      body.push((lines[j] ?? '').replace(new RegExp(`^ {0,${indent.length}}`), ''));
    }
    const language = info.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    if (TS_INFO.has(language)) blocks.push({ file, line: i + 2, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

function readCompilerOptions(projectRoot: string): ts.CompilerOptions {
  const configPath = join(projectRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error !== undefined) throw new Error(`${configPath}: ${messageOf(read.error)}`);
  const config: unknown = read.config;
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, projectRoot, undefined, configPath);
  if (parsed.errors.length > 0) throw new Error(`${configPath}: ${parsed.errors.map(messageOf).join('; ')}`);
  return { ...parsed.options, noEmit: true };
}

function messageOf(diagnostic: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
}

function toSlashes(path: string): string {
  return path.split(sep).join('/');
}

function* walkMarkdown(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (isDirectory(path)) yield* walkMarkdown(path);
    else if (name.endsWith('.md')) yield path;
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
