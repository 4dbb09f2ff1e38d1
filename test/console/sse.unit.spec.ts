import { describe, expect, it } from 'vitest';
import { parseSse } from '../../src/console/sse.js';

describe('the console’s Server-Sent Events parser', () => {
  it('splits whole messages, keeps the unfinished rest, and skips retry and comment lines', () => {
    const { messages, rest } = parseSse('retry: 1000\n\n: comment\nid: 7\nevent: event\ndata: {"seq":7}\n\nid: 8\nda');
    expect(messages).toEqual([{ id: '7', event: 'event', data: '{"seq":7}' }]);
    expect(rest).toBe('id: 8\nda');
    const next = parseSse(`${rest}ta: {"seq":8}\n\n`);
    expect(next.messages).toEqual([{ id: '8', event: 'message', data: '{"seq":8}' }]);
    expect(next.rest).toBe('');
  });

  it('joins several data lines and reads CRLF line ends', () => {
    expect(parseSse('data: a\r\ndata: b\r\n\r\n').messages).toEqual([
      { id: undefined, event: 'message', data: 'a\nb' },
    ]);
  });
});
