import { describe, expect, it } from 'vitest';
import { checkBoundaries, readImportGraph, relativeImportOf } from '../scripts/boundaries.js';

describe('import boundary check', () => {
  it('passes on this repository', () => {
    expect(checkBoundaries(readImportGraph(process.cwd()))).toEqual([]);
  });

  it('flags integration importing server, a part importing a part it may not, a system importing another, and cycles', () => {
    const graph = new Map<string, string[]>([
      ['src/integration/database/database.ts', ['src/server/app.ts', 'src/integration/events/bus.ts']],
      ['src/integration/events/bus.ts', ['src/integration/database/database.ts']],
      ['src/game/systems/crafting/craft.ts', ['src/game/systems/economy/wallet.ts']],
      ['src/game/systems/economy/wallet.ts', []],
      ['src/server/app.ts', ['package:weft/database']],
    ]);
    const problems = checkBoundaries(graph);
    expect(problems).toContain(
      'src/integration/database/database.ts -> src/server/app.ts: integration must not import server',
    );
    expect(problems).toContain(
      'src/integration/database/database.ts -> src/integration/events/bus.ts: integration/database may import only async-context, errors',
    );
    expect(problems.some((p) => p.includes("system crafting must not import system economy's files"))).toBe(true);
    expect(
      problems.some((p) =>
        p.startsWith('import cycle: src/integration/database/database.ts -> src/integration/events/bus.ts'),
      ),
    ).toBe(true);
    expect(problems.some((p) => p.includes('imports "weft/database" by package name'))).toBe(true);
  });

  it('names the relative import to use in place of the package', () => {
    expect(relativeImportOf('src/game/systems/fishing/index.ts', 'weft')).toBe('../../../integration/index.js');
    expect(relativeImportOf('src/server/app.ts', 'weft/internal')).toBe('../integration/internal.js');
    expect(relativeImportOf('src/integration/state/store.ts', 'weft/database')).toBe('../database/index.js');
    expect(relativeImportOf('src/integration/index.ts', 'weft/testing')).toBe('./testing/index.js');
  });

  it('flags the console importing server code, and anything importing the console', () => {
    const graph = new Map<string, string[]>([
      ['src/console/app.tsx', ['src/console/api.ts', 'src/server/console-schemas.ts']],
      ['src/console/api.ts', []],
      ['src/server/console-static.ts', ['src/console/app.tsx']],
    ]);
    expect(checkBoundaries(graph)).toEqual([
      'src/console/app.tsx -> src/server/console-schemas.ts: the console is a browser app: it imports only its own files and browser packages, never server code',
      'src/server/console-static.ts -> src/console/app.tsx: nothing imports the console’s browser code',
    ]);
  });

  it("flags a reach past a part's faces, and a game system using Weft's internals", () => {
    const graph = new Map<string, string[]>([
      ['src/integration/state/store.ts', ['src/integration/events/event-log.ts', 'src/integration/events/internal.ts']],
      ['src/game/systems/economy/wallet.ts', ['src/integration/internal.ts', 'src/integration/index.ts']],
      ['src/integration/events/event-log.ts', []],
      ['src/integration/events/internal.ts', []],
      ['src/integration/internal.ts', []],
      ['src/integration/index.ts', []],
    ]);
    expect(checkBoundaries(graph)).toEqual([
      'src/integration/state/store.ts -> src/integration/events/event-log.ts: integration/events is reached only through its index.ts or internal.ts',
      'src/game/systems/economy/wallet.ts -> src/integration/internal.ts: the game uses only the public API of integration (src/integration/index.ts)',
    ]);
  });
});
