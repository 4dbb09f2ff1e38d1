import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, type ValidationIssue } from '../errors/internal.js';
import { formatPath, issue } from './issues.js';
import { collectIds, compileReference, type ReferenceId } from './references.js';
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

/**
 * What a content check may ask besides the records that passed their schema, so that it reports only what is wrong
 * itself: a record that failed its schema still exists (its own problems are reported), and a file that could not be
 * read says nothing of what it would hold.
 */
export interface ContentCheckContext {
  /**
   * The ids (the `key` field, default `id`) of every record of a collection that names itself, those that failed
   * their schema included; `undefined` when the collection's file could not be read, parsed, or held no array.
   */
  ids(collection: string, key?: string): ReadonlySet<ReferenceId> | undefined;
  /** The records of a collection that failed their schema, as read from the file. */
  rejected(collection: string): readonly unknown[];
}

/** What to load: each collection is `<name>.json` in the folder, a JSON array validated by one schema. */
export interface ContentSpec {
  readonly collections: Readonly<Record<string, string>>;
  readonly references?: readonly ContentReference[];
  /**
   * Checks across records and collections that schemas and references cannot express (a dialogue
   * tree's shape, an economy's balance), run on the records that passed their schema; their
   * problems join the same report. A collection whose file could not be read is absent from `content`.
   */
  readonly checks?: ReadonlyArray<
    (content: Readonly<Record<string, readonly unknown[]>>, context: ContentCheckContext) => readonly ContentProblem[]
  >;
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
 * every problem with its file and path. A record that failed its schema but has an id still counts
 * as existing for references, and references to or from a file that could not be read are not
 * checked: the report names what is wrong, not what follows from it.
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
  // Records that failed their schema, as read: they are not content, but they exist.
  const rejected: Record<string, unknown[]> = {};

  for (const [collection, schema] of Object.entries(spec.collections)) {
    const file = `${collection}.json`;
    const records = await readRecords(join(folder, file), file, problems);
    if (records === undefined) continue;
    content[collection] = [];
    places[collection] = [];
    rejected[collection] = [];
    for (const [index, record] of records.entries()) {
      const result = await validation.validateCrossSystem(schema, record);
      if (result.ok) {
        content[collection].push(result.value);
        places[collection].push(index);
      } else {
        rejected[collection].push(record);
        problems.push(...result.issues.map((i) => inFile(file, [index, ...i.path], i)));
      }
    }
  }

  const context: ContentCheckContext = {
    ids: (collection, key = 'id') => {
      const kept = content[collection];
      if (kept === undefined) return undefined;
      return new Set([...kept, ...(rejected[collection] ?? [])].flatMap((record) => idOf(record, key)));
    },
    rejected: (collection) => rejected[collection] ?? [],
  };

  for (const reference of spec.references ?? []) {
    const known = context.ids(reference.to, reference.key);
    const sources = content[reference.from];
    if (known === undefined || sources === undefined) continue;
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
    for (const problem of check(content, context)) problems.push(inPlace(problem, places));
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

/** The id a record names itself by at `key`, if it has a readable one, whether or not the record passed its schema. */
function idOf(record: unknown, key: string): ReferenceId[] {
  if (typeof record !== 'object' || record === null || !Object.hasOwn(record, key)) return [];
  const id = (record as Record<string, unknown>)[key];
  return typeof id === 'string' || typeof id === 'number' ? [id] : [];
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
