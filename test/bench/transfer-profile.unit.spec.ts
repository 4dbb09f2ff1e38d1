import { describe, expect, it } from 'vitest';
import { splitProfile, stageOfSample, type CpuProfile } from '../../bench/transfer-profile.js';

const at = (functionName: string, path: string) => ({ functionName, url: `file:///work/weft/${path}` });
const native = at('executeQuery', '.bench-build/src/integration/database/sqlite-backend.js');
const driver = at('connection.executeQuery', 'node_modules/kysely/dist/esm/driver/runtime-driver.js');

describe('the stage split of a transfer server profile', () => {
  it('puts SQL sent by the unit of work or a commit group itself in commit, and the work’s statements in SQL', () => {
    const body = at('', '.bench-build/src/integration/database/unit-of-work.js');
    const execute = at('execute', '.bench-build/src/integration/database/unit-of-work.js');
    const provide = at('provideConnection', '.bench-build/src/integration/database/unit-of-work.js');
    expect(stageOfSample([native, driver, body])).toBe('commit');
    expect(
      stageOfSample([native, driver, execute, at('#run', '.bench-build/src/integration/state/entry-table.js')]),
    ).toBe('SQL');
    expect(stageOfSample([native, driver, provide])).toBe('SQL');
    // A commit group's own statements (BEGIN, savepoints, COMMIT), not its members'.
    const group = at('#run', '.bench-build/src/integration/database/commit-group.js');
    expect(stageOfSample([native, driver, group])).toBe('commit');
    expect(
      stageOfSample([native, driver, execute, at('#run', '.bench-build/src/integration/state/entry-table.js'), group]),
    ).toBe('SQL');
  });

  it('gives Node’s own frames the stage of the first frame above them that has one', () => {
    const zod = at('parse', 'node_modules/zod/v4/core/schemas.js');
    expect(
      stageOfSample([{ functionName: 'writev', url: 'node:net' }, at('send', 'node_modules/fastify/lib/reply.js')]),
    ).toBe('HTTP');
    expect(stageOfSample([{ functionName: 'emitInit', url: 'node:internal/async_hooks' }, zod])).toBe('validation');
    expect(stageOfSample([at('verify', 'node_modules/jose/dist/webapi/jws.js')])).toBe('auth');
    expect(stageOfSample([{ functionName: 'emitInit', url: 'node:internal/async_hooks' }])).toBe('other');
  });

  it('counts only busy samples after the seed, each for the time to the next sample', () => {
    const profile: CpuProfile = {
      startTime: 1_000,
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 3, 4] },
        { id: 2, callFrame: { functionName: '(idle)', url: '' } },
        { id: 3, callFrame: at('handle', '.bench-build/src/game/systems/economy/index.js'), children: [5] },
        { id: 4, callFrame: { functionName: '(garbage collector)', url: '' } },
        { id: 5, callFrame: at('parse', 'node_modules/zod/v4/core/schemas.js') },
      ],
      // Times 1,000 (before the seed ended), 2,000, 3,000, 5,000, 6,000 µs.
      samples: [3, 3, 2, 5, 4],
      timeDeltas: [0, 1_000, 1_000, 2_000, 1_000],
    };
    const split = splitProfile(profile, 1_500);
    expect(split.get('command')).toBe(1);
    expect(split.get('validation')).toBe(1);
    expect(split.get('GC')).toBe(0);
    expect([...split.values()].reduce((a, b) => a + b, 0)).toBe(2);
  });
});
