import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, WeftLogger, currentContext, runWithContext } from 'weft/internal';

function capture(options: ConstructorParameters<typeof WeftLogger>[0] = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logging: new WeftLogger({ ...options, destination }), lines };
}

describe('WeftLogger', () => {
  it('writes time, level and msg, plus the current context on every line', async () => {
    const { logging, lines } = capture();
    await runWithContext({ correlationId: 'c-1', causationId: 'e-9', traceId: 't-3', system: 'quest' }, async () => {
      await Promise.resolve();
      logging.root.info({ questId: 'q1' }, 'quest advanced');
    });
    logging.root.info('outside');
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'quest advanced',
      questId: 'q1',
      correlationId: 'c-1',
      causationId: 'e-9',
      traceId: 't-3',
      system: 'quest',
    });
    expect(typeof lines[0]?.time).toBe('number');
    expect(lines[1]).not.toHaveProperty('correlationId');
  });

  it('nests contexts, inheriting what the inner one does not set, and makes a correlation id when none is given', () => {
    runWithContext({ correlationId: 'outer', system: 'crafting' }, () => {
      runWithContext({ causationId: 'evt-1' }, () => {
        expect(currentContext()).toEqual({ correlationId: 'outer', system: 'crafting', causationId: 'evt-1' });
      });
    });
    runWithContext({}, () => expect(currentContext()?.correlationId).toMatch(/^[0-9a-f-]{36}$/));
  });

  it('puts errors under err with stack and cause', () => {
    const { logging, lines } = capture();
    logging.root.error(
      { err: new ConflictError('gold changed', { cause: new Error('version 3 != 4') }) },
      'trade failed',
    );
    expect(lines[0]).toMatchObject({
      msg: 'trade failed',
      err: { type: 'ConflictError', message: 'gold changed', cause: { message: 'version 3 != 4' } },
    });
    expect(String((lines[0]?.err as { stack: string }).stack)).toContain('ConflictError: gold changed');
  });

  it('gives each system a child with its own level, changeable at run time', () => {
    const { logging, lines } = capture({ systemLevels: { combat: 'warn' } });
    const combat = logging.forSystem('combat');
    const economy = logging.forSystem('economy');
    combat.info('hidden');
    economy.info('shown');
    logging.setLevel('combat', 'debug');
    combat.debug('now shown');
    logging.setLevel('*', 'error');
    economy.warn('hidden again');
    expect(lines.map((l) => `${String(l.system)}:${String(l.msg)}`)).toEqual(['economy:shown', 'combat:now shown']);
    expect(logging.forSystem('combat')).toBe(combat);
  });

  it('changes only known systems: an unknown name is a NotFoundError and is not kept', () => {
    const { logging } = capture({ systemLevels: { trade: 'warn' } });
    logging.forSystem('combat');
    expect(logging.knownSystems()).toEqual(['*', 'combat', 'trade']);
    expect(() => logging.setLevel('ghost', 'silent')).toThrow(NotFoundError);
    expect(() => logging.setLevel('ghost', 'silent')).toThrow('known: *, combat, trade');
    logging.setLevel('trade', 'debug');
    expect(logging.forSystem('trade').level).toBe('debug');
    expect(logging.knownSystems()).toEqual(['*', 'combat', 'trade']);
  });

  it('does not repeat the system of a system logger from the context', () => {
    const { logging, lines } = capture();
    runWithContext({ system: 'quest' }, () => logging.forSystem('economy').info('paid'));
    expect(lines[0]).toMatchObject({ system: 'economy' });
    expect(JSON.stringify(lines[0]).match(/"system"/g)).toHaveLength(1);
  });

  it('keeps a bounded ring of the latest warnings and errors with their correlation ids', () => {
    const { logging } = capture({ recentSize: 2 });
    runWithContext({ correlationId: 'c-7' }, () => {
      logging.forSystem('economy').warn('low gold reserve');
      logging.root.info('not kept');
      logging.forSystem('combat').error(new Error('boom'));
      logging.root.error({ err: new Error('db down') }, 'ping failed');
    });
    expect(logging.recent()).toEqual([
      expect.objectContaining({ level: 'error', msg: 'boom', system: 'combat', correlationId: 'c-7', error: 'boom' }),
      expect.objectContaining({ level: 'error', msg: 'ping failed', correlationId: 'c-7', error: 'db down' }),
    ]);
  });
});
