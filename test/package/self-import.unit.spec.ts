import { describe, expect, it } from 'vitest';
import { ConflictError, createDatabase, isWeftError } from 'weft';
import { createDatabase as fromSubpath } from 'weft/database';
import { createTestDatabase } from 'weft/testing';

describe('the package imports itself by name', () => {
  it('exposes createDatabase from weft and weft/database, and fixtures from weft/testing', async () => {
    expect(fromSubpath).toBe(createDatabase);
    await using db = await createTestDatabase();
    await db.ping();
    expect(isWeftError(new ConflictError('taken'), 'WEFT_CONFLICT')).toBe(true);
  });
});
