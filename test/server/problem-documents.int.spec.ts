import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringManager } from 'weft/internal';
import { buildApp } from '../../src/server/index.js';

function build() {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  return buildApp({
    monitoring: new MonitoringManager({ logger: { destination: discard }, processMetrics: false }),
  });
}

describe('errors Fastify routes itself', () => {
  it('answer an unknown route with a 404 problem document', async () => {
    const app = build();
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/no/such/route?x=1', headers: { 'x-correlation-id': 'c-404' } });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['x-correlation-id']).toBe('c-404');
      expect(res.json()).toMatchObject({
        type: 'urn:weft:error:WEFT_NOT_FOUND',
        status: 404,
        code: 'WEFT_NOT_FOUND',
        instance: '/no/such/route?x=1',
      });
    }
    await app.close();
  });

  it('answer a path parameter past its limit (414) and a malformed URL (400) with problem documents', async () => {
    const app = build();
    const long = await app.inject({ method: 'PUT', url: `/logs/levels/${'a'.repeat(200)}`, payload: {} });
    expect(long.statusCode).toBe(414);
    expect(long.headers['content-type']).toContain('application/problem+json');
    expect(long.json()).toMatchObject({ status: 414, title: 'URI Too Long', code: 'WEFT_URI_TOO_LONG' });
    const bad = await app.inject({ method: 'PUT', url: '/logs/levels/%E0%A4%A', payload: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ status: 400, code: 'WEFT_BAD_REQUEST' });
    await app.close();
  });

  it('say in the detail of a 415 and a 413 what the server takes, not only the status again', async () => {
    const app = build();
    // A route's own limit is the one said, in bytes when it is not whole KB.
    app.post('/tiny', { bodyLimit: 1000 }, () => ({}));
    const text = await app.inject({
      method: 'PUT',
      url: '/logs/levels/http',
      headers: { 'content-type': 'text/plain' },
      payload: 'debug',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ code: 'WEFT_UNSUPPORTED_MEDIA_TYPE', instance: '/logs/levels/http' });
    expect(text.json<{ detail: string }>().detail).toBe(
      'The body is text/plain; this server takes JSON only: send it with Content-Type: application/json.',
    );
    const huge = await app.inject({
      method: 'PUT',
      url: '/logs/levels/http',
      payload: { level: 'debug', padding: 'x'.repeat(70_000) },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({
      code: 'WEFT_PAYLOAD_TOO_LARGE',
      detail: 'The body is larger than the server accepts (64 KB).',
    });
    const tiny = await app.inject({ method: 'POST', url: '/tiny', payload: { padding: 'x'.repeat(2000) } });
    expect([tiny.statusCode, tiny.json<{ detail: string }>().detail]).toEqual([
      413,
      'The body is larger than the server accepts (1000 bytes).',
    ]);
    await app.close();
  });
});

/** Sends raw bytes and resolves with everything the server wrote before closing. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parse(answer: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe('errors the HTTP server meets before Fastify, over a real socket', () => {
  const app = build();
  let port = 0;
  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterAll(() => app.close());

  it('answer a URI too long with a 414 problem document', async () => {
    const answer = parse(await exchange(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(answer.status).toBe(414);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(answer.headers).toContain('connection: close');
    expect(answer.body).toMatchObject({ status: 414, title: 'URI Too Long', code: 'WEFT_URI_TOO_LONG' });
  });

  it('answer headers too large with a 431 problem document', async () => {
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`;
    const many = `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 900 }, (_, i) => `X-H${i}: ${'c'.repeat(20)}\r\n`).join('')}\r\n`;
    for (const request of [big, many]) {
      const answer = parse(await exchange(port, request));
      expect(answer.status).toBe(431);
      expect(answer.headers).toContain('content-type: application/problem+json');
      expect(answer.body).toMatchObject({
        status: 431,
        title: 'Request Header Fields Too Large',
        code: 'WEFT_HEADERS_TOO_LARGE',
      });
    }
  });

  it('answer a request that is not HTTP with a 400 problem document', async () => {
    const answer = parse(await exchange(port, 'HELLO THERE\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(answer.headers).toContain('content-type: application/problem+json');
    expect(answer.body).toMatchObject({ status: 400, title: 'Bad Request', code: 'WEFT_BAD_REQUEST' });
  });

  it('still serves the next connection', async () => {
    const answer = await exchange(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 200/);
  });
});
