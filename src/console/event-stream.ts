import { problemText, type Api } from './api.js';
import { parseSse } from './sse.js';
import type { StreamedEvent } from './types.js';

/** Where the stream stands, for the page to show. */
export type StreamState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live'; readonly reconnectedAt?: string }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly reason: string }
  /** The server refused the stream for good (a filter it does not take, the admin role gone): no retry helps. */
  | { readonly kind: 'refused'; readonly reason: string };

/** A refusal that asking again would not change: the stream stops and says why. */
class StreamRefused extends Error {}

/** The stream's filters, as `GET /admin/events/stream` takes them. */
export interface StreamFilter {
  readonly system?: string;
  readonly type?: string;
  readonly characterId?: string;
  readonly correlationId?: string;
}

/** Waits between reconnects: 0.5 s, doubling to 5 s (a restarting server is back within seconds). */
const backoff = (attempt: number): number => Math.min(5000, 500 * 2 ** Math.max(0, attempt - 1));

/**
 * Reads `GET /admin/events/stream` with fetch (EventSource cannot send the bearer token) and keeps it
 * open: a dropped stream (a restart, a network cut) reconnects by itself from the last position it
 * saw (`Last-Event-ID`), so nothing is missed or repeated, and says so through `onState`.
 */
export function openEventStream(
  api: Api,
  filter: StreamFilter,
  onEvent: (event: StreamedEvent) => void,
  onState: (state: StreamState) => void,
): () => void {
  const abort = new AbortController();
  let lastId: string | undefined;
  let attempt = 0;
  let everLive = false;

  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) query.set(key, String(value));
  const url = `/admin/events/stream${query.size > 0 ? `?${query.toString()}` : ''}`;

  async function connectOnce(): Promise<void> {
    const token = api.accessToken;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    const response = await fetch(url, { headers, signal: abort.signal });
    if (response.status === 401 && (await api.refresh(token))) throw new Error('the access token was renewed');
    // A 4xx but a timeout or too many streams is the same on every try (a filter the server refuses): said once, with
    // the problem document's sentence, and not asked again.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)
      throw new StreamRefused(await problemText(response));
    if (!response.ok || response.body === null) throw new Error(`the server answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the server closed the stream');
      const { messages, rest } = parseSse(buffer + value);
      buffer = rest;
      for (const message of messages) {
        if (message.id !== undefined) lastId = message.id;
        if (attempt > 0 || !everLive) {
          onState(everLive ? { kind: 'live', reconnectedAt: new Date().toLocaleTimeString() } : { kind: 'live' });
          everLive = true;
          attempt = 0;
        }
        if (message.event === 'event') onEvent(JSON.parse(message.data) as StreamedEvent);
      }
    }
  }

  async function run(): Promise<void> {
    onState({ kind: 'connecting' });
    while (!abort.signal.aborted) {
      try {
        await connectOnce();
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof StreamRefused) {
          onState({ kind: 'refused', reason: error.message });
          return;
        }
        attempt++;
        onState({ kind: 'reconnecting', attempt, reason: error instanceof Error ? error.message : String(error) });
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      }
    }
  }

  void run();
  return () => abort.abort();
}
