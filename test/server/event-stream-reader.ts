// Reads GET /admin/events/stream as the console does: fetch with the bearer token, Server-Sent Events parsed by hand.

/** One message of the stream. */
export interface StreamMessage {
  readonly id: string;
  readonly event: string;
  readonly data: { seq: number; envelope?: { type: string; correlationId: string; data: unknown } };
}

/** An open stream: what it received so far, and ways to wait for more. */
export interface StreamReader {
  /** Resolves at the first message (the stream's opening heartbeat). */
  readonly opened: Promise<void>;
  readonly messages: StreamMessage[];
  /** Every message so far, once one matches; rejects after `timeoutMs` (default 10 s) or when the stream ends. */
  until(match: (message: StreamMessage) => boolean, timeoutMs?: number): Promise<StreamMessage[]>;
  close(): void;
}

/** Opens a stream; `retryWhile429` retries a refused open that many times, 20 ms apart. */
export function readEventStream(
  url: string,
  token: string,
  headers: Record<string, string> = {},
  options: { retryWhile429?: number } = {},
): StreamReader {
  const abort = new AbortController();
  const messages: StreamMessage[] = [];
  const waiters = new Set<() => void>();
  let ended: Error | undefined;
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const opened = (async () => {
    for (let tries = 0; ; tries++) {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, ...headers },
        signal: abort.signal,
      });
      if (response.status === 429 && tries < (options.retryWhile429 ?? 0)) {
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      if (response.status !== 200 || response.body === null)
        throw new Error(`stream ${url}: ${response.status} ${await response.text()}`);
      return response.body;
    }
  })().then((body) => {
    const first = new Promise<void>((resolve) => waiters.add(resolve));
    void pump(body);
    return first;
  });
  async function pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            const colon = line.indexOf(': ');
            if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
          }
          const data = fields.get('data');
          if (data === undefined) continue;
          messages.push({
            id: fields.get('id') ?? '',
            event: fields.get('event') ?? 'message',
            data: JSON.parse(data) as StreamMessage['data'],
          });
          notify();
        }
      }
      ended = new Error('the stream ended');
    } catch (error) {
      ended = error instanceof Error ? error : new Error(String(error));
    }
    notify();
  }
  return {
    opened,
    messages,
    until(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.some(match)) {
            done();
            resolve([...messages]);
          } else if (ended !== undefined) {
            done();
            reject(ended);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
