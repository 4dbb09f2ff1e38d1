import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Imports point one way: cli -> server -> game -> integration (DESIGN.md, Layout). */
const LAYERS = ['integration', 'game', 'server', 'cli'] as const;

/** Inside src/integration, which folders each folder may import. Root files (index.ts, ...) may import all. */
const INTEGRATION_PARTS: Readonly<Record<string, readonly string[]>> = {
  'async-context': [],
  errors: [],
  database: ['async-context', 'errors'],
  validation: ['errors'],
  monitoring: ['async-context', 'errors', 'database'],
  events: ['async-context', 'errors', 'database', 'validation', 'monitoring'],
  state: ['async-context', 'errors', 'database', 'validation', 'monitoring', 'events'],
  commands: ['async-context', 'errors', 'database', 'validation', 'monitoring', 'events', 'state'],
  system: ['async-context', 'errors', 'database', 'validation', 'monitoring', 'events', 'state', 'commands'],
  seed: ['async-context', 'errors', 'database', 'validation', 'monitoring', 'events', 'state', 'commands', 'system'],
  // Fixtures assemble whole integrations too, so testing may also import the composition root.
  testing: ['async-context', 'errors', 'database', 'validation', 'monitoring', 'events', 'state', 'commands', 'system'],
};

/** The operator console: a browser app that imports only its own files and browser packages, and nothing imports it. */
const CONSOLE = 'src/console/';

/** The files of a part that code outside it may import: its public face and its face inside Weft. */
const PART_FACES = ['index.ts', 'internal.ts'];

/** Source files (relative to the repository, with `/`) and the source files each imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** Reads the import graph of every .ts file under `srcDir`, keeping only imports that resolve to files inside it. */
export function readImportGraph(root: string, srcDir = 'src'): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of walk(join(root, srcDir))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets: string[] = [];
    for (const { fileName } of importedFiles) {
      if (fileName.startsWith('.')) {
        const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
        // The console's components are .tsx, imported as .js like every other module.
        const tsx = target.replace(/\.ts$/, '.tsx');
        targets.push(toKey(root, !existsSync(target) && existsSync(tsx) ? tsx : target));
      } else if (fileName === 'weft' || fileName.startsWith('weft/')) {
        targets.push(`package:${fileName}`);
      }
    }
    // An import and a `declare module` of the same name are one problem, reported once.
    graph.set(toKey(root, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every broken rule, as one line each; empty when the graph is clean. */
export function checkBoundaries(graph: ImportGraph): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (target.startsWith('package:')) {
        const name = target.slice('package:'.length);
        problems.push(
          `${file} imports "${name}" by package name; inside src use a relative import: "${relativeImportOf(file, name)}"`,
        );
        continue;
      }
      const rule = violation(file, target);
      if (rule !== undefined) problems.push(`${file} -> ${target}: ${rule}`);
    }
  }
  for (const cycle of findCycles(graph)) problems.push(`import cycle: ${cycle.join(' -> ')}`);
  return problems;
}

function violation(from: string, to: string): string | undefined {
  if (from.startsWith(CONSOLE) && !to.startsWith(CONSOLE))
    return 'the console is a browser app: it imports only its own files and browser packages, never server code';
  if (!from.startsWith(CONSOLE) && to.startsWith(CONSOLE)) return 'nothing imports the console’s browser code';
  const a = locate(from);
  const b = locate(to);
  if (a === undefined || b === undefined) return undefined;
  if (LAYERS.indexOf(b.layer) > LAYERS.indexOf(a.layer)) return `${a.layer} must not import ${b.layer}`;
  if (
    a.layer === 'integration' &&
    b.layer === 'integration' &&
    a.part !== undefined &&
    b.part !== undefined &&
    a.part !== b.part
  ) {
    const allowed = INTEGRATION_PARTS[a.part];
    if (allowed === undefined) return `integration/${a.part} is not a known part; add it to scripts/boundaries.ts`;
    if (!allowed.includes(b.part))
      return `integration/${a.part} may import only ${allowed.join(', ') || 'nothing of ours'}`;
  }
  if (
    a.layer === 'integration' &&
    a.part !== undefined &&
    a.part !== 'testing' &&
    b.layer === 'integration' &&
    b.part === undefined
  ) {
    return `integration/${a.part} must not import the integration root (it assembles the parts)`;
  }
  if (b.layer === 'integration' && b.part !== undefined && a.part !== b.part && !PART_FACES.includes(b.file)) {
    return `integration/${b.part} is reached only through its index.ts or internal.ts`;
  }
  if (a.layer === 'game' && b.layer === 'integration' && to !== 'src/integration/index.ts') {
    return 'the game uses only the public API of integration (src/integration/index.ts)';
  }
  if (a.system !== undefined && b.system !== undefined && a.system !== b.system) {
    return `system ${a.system} must not import system ${b.system}'s files; use its events, commands or state`;
  }
  return undefined;
}

interface Place {
  readonly layer: (typeof LAYERS)[number];
  readonly part: string | undefined;
  readonly system: string | undefined;
  /** The path inside the part's folder. */
  readonly file: string;
}

function locate(key: string): Place | undefined {
  const segments = key.split('/');
  if (segments[0] !== 'src') return undefined;
  const layer = LAYERS.find((l) => l === segments[1]);
  if (layer === undefined) return undefined;
  const inFolder = segments.length > 3;
  return {
    layer,
    part: layer === 'integration' && inFolder ? segments[2] : undefined,
    system: layer === 'game' && segments[2] === 'systems' && segments.length > 4 ? segments[3] : undefined,
    file: segments.slice(3).join('/'),
  };
}

function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if ((name.endsWith('.ts') || name.endsWith('.tsx')) && !name.endsWith('.d.ts')) yield path;
  }
}

function toKey(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/**
 * The relative import inside src of what the package exports as `name` (package.json's exports): `weft` is
 * src/integration/index.ts, `weft/internal` src/integration/internal.ts, `weft/<part>` src/integration/<part>/index.ts.
 */
export function relativeImportOf(file: string, name: string): string {
  const part = name.slice('weft/'.length);
  const module = name === 'weft' ? 'index.js' : part === 'internal' ? 'internal.js' : `${part}/index.js`;
  const path = posix.relative(posix.dirname(file), `src/integration/${module}`);
  return path.startsWith('.') ? path : `./${path}`;
}
