import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, type ValidationIssue } from '../errors/internal.js';
import { formatPath, issue } from './issues.js';
import { collectIds, compileReference } from './references.js';
import type { ValidationManager } from './validation-manager.js';

/** One problem in a content folder: the file, and the issue at its path inside that file. */
export interface ContentProblem extends ValidationIssue {
  readonly file: string;
}

/** A reference between content collections: ids at `path` of `from` records must be the `key` of some `to` record. */
export interface ContentReference {
  readonly from: string;
  readonly path: string;
  readonly to: string;
  /** The field of `to` records that holds their id. Default `id`. */
  readonly key?: string;
}

/** What to load: each collection is `<name>.json` in the folder, a JSON array validated by one schema. */
export interface ContentSpec {
  readonly collections: Readonly<Record<string, string>>;
  readonly references?: readonly ContentReference[];
  /**
   * Checks across records and collections that schemas and references cannot express (a dialogue
   * tree's shape, an economy's balance), run on the records that passed their schema; their
   * problems join the same report.
   */
  readonly checks?: ReadonlyArray<(content: Readonly<Record<string, readonly unknown[]>>) => readonly ContentProblem[]>;
}

/** Thrown by `loadContent`: every problem of every file at once, so one run shows all there is to fix. */
export class ContentError extends ValidationError {
  readonly problems: readonly ContentProblem[];

  constructor(problems: readonly ContentProblem[]) {
    super(
      `Content has ${problems.length} problem(s):\n${problems.map((p) => `${p.file} ${p.pathText}: ${p.message}`).join('\n')}`,
      {
        issues: problems,
      },
    );
    this.problems = problems;
  }
}

/**
 * Reads a folder of game content (items, recipes, monsters, quests, factions, dialogue), checks
 * every record against its schema, the rules and references registered for it, and the
 * references between collections; returns the parsed content, or throws one ContentError listing
 * every problem with its file and path.
 * @example const content = await loadContent(validation, 'content', { collections: { items: 'data.item', recipes:
 * 'crafting.recipe' } })
 */
export async function loadContent<C extends Record<string, string>>(
  validation: ValidationManager,
  folder: string,
  spec: ContentSpec & { readonly collections: C },
): Promise<{ [K in keyof C]: unknown[] }> {
  const problems: ContentProblem[] = [];
  const content: Record<string, unknown[]> = {};
  // Records that fail their schema are left out, so the n-th kept record is not the n-th of its file:
  // problems found on kept records name the record's place in its file.
  const places: Record<string, number[]> = {};

  for (const [collection, schema] of Object.entries(spec.collections)) {
    const file = `${collection}.json`;
    const records = await readRecords(join(folder, file), file, problems);
    if (records === undefined) continue;
    content[collection] = [];
    places[collection] = [];
    for (const [index, record] of records.entries()) {
      const result = await validation.validateCrossSystem(schema, record);
      if (result.ok) {
        content[collection].push(result.value);
        places[collection].push(index);
      } else {
        problems.push(...result.issues.map((i) => inFile(file, [index, ...i.path], i)));
      }
    }
  }

  for (const reference of spec.references ?? []) {
    const targets = content[reference.to];
    const sources = content[reference.from];
    if (targets === undefined || sources === undefined) continue;
    const key = reference.key ?? 'id';
    const known = new Set(
      targets.map((t) => (typeof t === 'object' && t !== null ? (t as Record<string, unknown>)[key] : undefined)),
    );
    const { segments } = compileReference({
      from: reference.from,
      path: reference.path,
      to: reference.to,
      resolve: () => [],
    });
    for (const [kept, record] of sources.entries()) {
      for (const found of collectIds(record, segments)) {
        if (!known.has(found.id)) {
          const path = [places[reference.from]?.[kept] ?? kept, ...found.path];
          problems.push(
            inFile(
              `${reference.from}.json`,
              path,
              issue(path, 'reference', `unknown ${reference.to} ${JSON.stringify(found.id)}`),
            ),
          );
        }
      }
    }
  }

  for (const check of spec.checks ?? []) {
    for (const problem of check(content)) problems.push(inPlace(problem, places));
  }

  if (problems.length > 0) throw new ContentError(problems);
  return content as { [K in keyof C]: unknown[] };
}

async function readRecords(path: string, file: string, problems: ContentProblem[]): Promise<unknown[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    problems.push(
      inFile(
        file,
        [],
        issue([], 'missing_file', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`),
      ),
    );
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(
      inFile(file, [], issue([], 'invalid_json', `${file} is not valid JSON: ${(error as Error).message}`)),
    );
    return undefined;
  }
  if (!Array.isArray(parsed)) {
    problems.push(
      inFile(file, [], issue([], 'invalid_type', `${file} must hold a JSON array of records`, 'array', typeof parsed)),
    );
    return undefined;
  }
  return parsed as unknown[];
}

/** A check's problem, its record index turned from the kept records' order to the file's. */
function inPlace(problem: ContentProblem, places: Readonly<Record<string, readonly number[]>>): ContentProblem {
  const [first, ...rest] = problem.path;
  const place = typeof first === 'number' ? places[problem.file.replace(/\.json$/, '')]?.[first] : undefined;
  return place === undefined ? problem : { ...problem, path: [place, ...rest], pathText: formatPath([place, ...rest]) };
}

/** A problem at `path` of `file`, for content checks. */
export function contentProblem(
  file: string,
  path: readonly (string | number)[],
  code: string,
  message: string,
): ContentProblem {
  return inFile(file, path, issue(path, code, message));
}

function inFile(file: string, path: readonly (string | number)[], found: ValidationIssue): ContentProblem {
  return { ...found, file, path, pathText: formatPath(path) };
}
