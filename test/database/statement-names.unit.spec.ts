import { describe, expect, it } from 'vitest';
import { StatementNames } from '../../src/integration/database/statement-names.js';

describe('the names of prepared PostgreSQL statements', () => {
  it('give one text one name until it is forgotten, then a new one', () => {
    const names = new StatementNames();
    const first = names.nameOf('select $1');
    expect(names.nameOf('select $1')).toBe(first);
    expect(names.nameOf('select $1, $2')).not.toBe(first);
    names.forget('select $1');
    const renewed = names.nameOf('select $1');
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(first);
  });

  it('leave a statement with a list of values unnamed, so no generic plan is made for it', () => {
    const names = new StatementNames();
    expect(names.nameOf('select "id" from "player" where "id" in ($1, $2, $3)')).toBeUndefined();
    expect(names.nameOf('select "id" from "player" where "guild" = $1 and "id" IN ($2)')).toBeUndefined();
    expect(names.nameOf('select "id" from "player" where "id" = $1')).toBeDefined();
  });

  it('name nothing once stopped, and say so only the first time', () => {
    const names = new StatementNames();
    const named = names.nameOf('select $1');
    expect(named).toMatch(/^weft_[0-9a-f]{8}_1$/);
    expect(names.stop()).toBe(true);
    expect(names.stop()).toBe(false);
    expect(names.nameOf('select $1')).toBeUndefined();
    expect(names.nameOf('select $2')).toBeUndefined();
  });

  it('stop naming new texts at their limit, so the server keeps a bounded number of plans per connection', () => {
    const names = new StatementNames();
    const named = Array.from({ length: 500 }, (_, i) => names.nameOf(`select ${i} where $1`));
    expect(new Set(named).size).toBe(500);
    expect(names.nameOf('select 500 where $1')).toBeUndefined();
    // Texts named before the limit keep their names, also once renamed.
    expect(names.nameOf('select 0 where $1')).toBe(named[0]);
    names.forget('select 0 where $1');
    expect(names.nameOf('select 0 where $1')).toBeDefined();
  });
});
