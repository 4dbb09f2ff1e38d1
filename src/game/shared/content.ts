import type { z } from 'zod';
import type { CommandInput, Execute } from '../../integration/index.js';

/** A content collection's name, as the data system's `data.collection` command takes it. */
export type CollectionName = CommandInput<'data.collection'>['collection'];

/**
 * Reads one content collection through the data system (a system never imports the data
 * system's files), parsed with the reader's own schema of the fields it uses, once per handle:
 * content does not change while a process runs.
 * @example const classes = contentOf('classes', ClassView); const list = await classes(sys.execute)
 */
export function contentOf<T>(
  collection: CollectionName,
  schema: z.ZodType<T>,
): (execute: Execute) => Promise<readonly T[]> {
  const cache = new WeakMap<Execute, Promise<readonly T[]>>();
  return (execute) => {
    let records = cache.get(execute);
    if (records === undefined) {
      records = execute('data.collection', { collection }).then(({ records: raw }) =>
        raw.map((record) => schema.parse(record)),
      );
      // A failed read is not kept: the next call tries again.
      records.catch(() => cache.delete(execute));
      cache.set(execute, records);
    }
    return records;
  };
}
