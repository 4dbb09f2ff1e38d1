import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';

/** What a polled route gave last: its answer, or why the last call failed (the answer before it stays). */
export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  /** Calls again now (after an action that changed what the route answers). */
  readonly refresh: () => void;
}

/** Calls `path` now and every `intervalMs` while the panel is shown; `path` undefined calls nothing. */
export function usePolling<T>(api: Api, path: string | undefined, intervalMs: number): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    const load = () =>
      api.get<T>(path).then(
        (answer) => {
          if (!live) return;
          setData(answer);
          setError(undefined);
        },
        (failure: unknown) => {
          if (live) setError(failure instanceof Error ? failure.message : String(failure));
        },
      );
    void load();
    const timer = setInterval(() => void load(), intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, path, intervalMs, tick]);
  return { data, error, refresh };
}
