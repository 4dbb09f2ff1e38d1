import { z } from 'zod';
import { NotFoundError, defineSystem, type SystemDefinition } from '../../../integration/index.js';
import { CONTENT_SPEC, SHIPPED_CONTENT, serve, type ServedContent } from './content.js';
import { COLLECTIONS, PUBLIC_COLLECTIONS, type Content, type PublicCollection } from './schemas.js';

const CollectionInput = z.strictObject({ collection: z.enum(PUBLIC_COLLECTIONS) });
const RecordInput = z.strictObject({ collection: z.enum(PUBLIC_COLLECTIONS), id: z.string().min(1).max(64) });
const CollectionOutput = z.strictObject({ etag: z.string(), records: z.array(z.unknown()) });
const RecordOutput = z.strictObject({ etag: z.string(), record: z.unknown() });

// Other systems read content through these commands, by name, without importing this folder.
declare module '../../../integration/index.js' {
  interface WeftCommands {
    'data.collection': { input: { collection: PublicCollection }; output: { etag: string; records: unknown[] } };
    'data.record': { input: { collection: PublicCollection; id: string }; output: { etag: string; record: unknown } };
  }
}

/** Options of the data system. */
export interface DataOptions {
  /** The content folder; default the content that ships with the game (`src/game/content`). */
  readonly folder?: string;
}

/**
 * The data system: the game's content (items, recipes, monsters, quests, factions, NPCs,
 * regions, classes, market prices), loaded at install through the content loader, cross-checked,
 * and served read-only. Bad content stops the install with the whole report.
 */
export function dataSystem(options: DataOptions = {}): SystemDefinition<'data'> {
  return defineSystem({
    name: 'data',
    async setup(sys) {
      for (const { schema, shape } of Object.values(COLLECTIONS)) sys.validation.register(schema, shape);
      const loaded = await sys.validation.loadContent(options.folder ?? SHIPPED_CONTENT, CONTENT_SPEC);
      const content: ServedContent = serve(loaded as unknown as Content);
      sys.logger.info(
        Object.fromEntries(Object.entries(loaded).map(([collection, records]) => [collection, records.length])),
        'content loaded',
      );

      sys.command(
        'collection',
        { input: CollectionInput, output: CollectionOutput, readOnly: true },
        ({ collection }) => {
          const served = content[collection];
          return { etag: served.etag, records: [...served.records] };
        },
      );
      sys.command('record', { input: RecordInput, output: RecordOutput, readOnly: true }, ({ collection, id }) => {
        const found = content[collection].byId.get(id);
        if (found === undefined) throw new NotFoundError(`No ${collection} record has id ${JSON.stringify(id)}.`);
        return { etag: found.etag, record: found.record };
      });
    },
  });
}
