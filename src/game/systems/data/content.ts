import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  ValidationManager,
  loadContent,
  type ContentCheckContext,
  type ContentProblem,
  type ContentSpec,
} from '../../../integration/index.js';
import { CONTENT_CHECKS, REFERENCES } from './checks.js';
import { COLLECTIONS, type Content } from './schemas.js';

/** The content that ships with the game. */
export const SHIPPED_CONTENT = fileURLToPath(new URL('../../content/', import.meta.url));

/**
 * What the loader reads: each collection's file and schema (registered as `data.<schema>`), its references and checks.
 */
export const CONTENT_SPEC = {
  collections: Object.fromEntries(Object.entries(COLLECTIONS).map(([name, { schema }]) => [name, schema])) as {
    readonly [K in keyof typeof COLLECTIONS]: string;
  },
  references: REFERENCES,
  checks: CONTENT_CHECKS.map(
    (check) =>
      (
        content: Readonly<Record<string, readonly unknown[]>>,
        context: ContentCheckContext,
      ): readonly ContentProblem[] =>
        // The records reaching the checks passed their schemas: they are what `Content` says. A file
        // that could not be read at all is reported already; the checks see it as empty, and ask
        // `context` before reporting what its absence would cause.
        check(withEveryCollection(content), context),
  ),
} satisfies ContentSpec;

function withEveryCollection(content: Readonly<Record<string, readonly unknown[]>>): Content {
  const collections = Object.keys(COLLECTIONS);
  const complete = Object.fromEntries(collections.map((collection) => [collection, content[collection] ?? []]));
  return complete as unknown as Content;
}

/** A collection's records with the ETag of the whole and of each record. */
export interface Served<T> {
  readonly etag: string;
  readonly records: readonly T[];
  readonly byId: ReadonlyMap<string, { readonly record: T; readonly etag: string }>;
}

/** Content ready to serve: hashed once at start, so a conditional GET costs a string compare. */
export type ServedContent = { readonly [K in keyof Content]: Served<Content[K][number]> };

/** Hashes each collection and record of loaded content. */
export function serve(content: Content): ServedContent {
  const served = Object.fromEntries(
    Object.entries(content).map(([collection, records]: [string, ReadonlyArray<{ id?: string; itemId?: string }>]) => [
      collection,
      {
        etag: etagOf(records),
        records,
        byId: new Map(records.map((record) => [record.id ?? record.itemId ?? '', { record, etag: etagOf(record) }])),
      },
    ]),
  );
  return served as unknown as ServedContent;
}

/** A strong ETag: the content's SHA-256, quoted. */
function etagOf(value: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(value)).digest('base64url')}"`;
}

/**
 * Checks a content folder on its own, as `weft validate-content DIR` does for modders: the same
 * schemas, references and checks as the data system's install; resolves to the content, or rejects
 * with one ContentError listing every problem.
 */
export async function checkContentFolder(folder: string): Promise<Content> {
  const validation = new ValidationManager();
  const collections: Record<string, string> = {};
  for (const [collection, { schema, shape }] of Object.entries(COLLECTIONS)) {
    validation.registerSchema(`data.${schema}`, shape, { owner: 'data' });
    collections[collection] = `data.${schema}`;
  }
  const loaded = await loadContent(validation, folder, { ...CONTENT_SPEC, collections });
  return loaded as unknown as Content;
}
