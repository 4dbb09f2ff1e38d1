import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WeftLogger } from 'weft/internal';

function logger(recentSize: number): WeftLogger {
  const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
  return new WeftLogger({ destination, recentSize });
}

describe('the ring of recent warnings and errors', () => {
  it("keeps other systems' lines when one system floods it", () => {
    const logging = logger(20);
    logging.forSystem('database').error({ err: new Error('pool exhausted') }, 'query failed');
    logging.forSystem('combat').warn('tick late');
    for (let i = 0; i < 250; i++) logging.forSystem('http').error(`request failed ${i}`);
    const recent = logging.recent();
    expect(recent).toHaveLength(20);
    expect(recent.map((line) => line.msg)).toEqual(expect.arrayContaining(['query failed', 'tick late']));
    // The flood keeps its newest lines, oldest first.
    expect(recent.at(-1)?.msg).toBe('request failed 249');
    expect(recent.filter((line) => line.system === 'http').map((line) => line.msg)[0]).toBe('request failed 232');
  });

  it('shares the ring between floods, and gives a quiet system its share back', () => {
    const logging = logger(10);
    for (let i = 0; i < 50; i++) logging.forSystem('http').error(`h${i}`);
    for (let i = 0; i < 50; i++) logging.forSystem('events').warn(`e${i}`);
    const bySystem = (system: string) => logging.recent().filter((line) => line.system === system).length;
    expect(bySystem('http')).toBe(5);
    expect(bySystem('events')).toBe(5);
    logging.forSystem('state').error('s0');
    expect(bySystem('state')).toBe(1);
    expect(logging.recent()).toHaveLength(10);
  });

  it('shortens a long message so one line cannot hold much memory', () => {
    const logging = logger(5);
    logging.root.error({ err: new Error('e'.repeat(20_000)) }, 'm'.repeat(20_000));
    const [line] = logging.recent();
    expect(line?.msg.length).toBeLessThanOrEqual(1000);
    expect(line?.error?.length).toBeLessThanOrEqual(1000);
  });
});
