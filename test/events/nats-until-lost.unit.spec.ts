import { describe, expect, it } from 'vitest';
import { UnavailableError } from 'weft/internal';
import { untilLost } from '../../src/integration/events/nats/until-lost.js';

describe('untilLost', () => {
  it('settles as the request does while the connection holds', async () => {
    const lost = new AbortController();
    await expect(untilLost(Promise.resolve(7), lost.signal, 'Pulling')).resolves.toBe(7);
    await expect(untilLost(Promise.reject(new Error('timeout')), lost.signal, 'Pulling')).rejects.toThrow('timeout');
  });

  it('rejects with UnavailableError once the connection drops, without waiting for the request', async () => {
    const lost = new AbortController();
    let answer: (value: number) => void = () => undefined;
    const waiting = untilLost(new Promise<number>((resolve) => (answer = resolve)), lost.signal, 'Pulling "books"');
    lost.abort();
    await expect(waiting).rejects.toBeInstanceOf(UnavailableError);
    await expect(waiting).rejects.toThrow('Pulling "books": the NATS connection was lost.');
    answer(1);
  });

  it('rejects at once when the connection is already lost', async () => {
    const lost = new AbortController();
    lost.abort();
    await expect(untilLost(Promise.reject(new Error('late')), lost.signal, 'Acknowledging')).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });
});
