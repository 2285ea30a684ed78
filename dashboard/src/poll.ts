import { useEffect, useRef, useState } from 'react';

/** How often the views refresh. */
export const POLL_MS = 5000;

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** When the last successful answer arrived. */
  updatedAt: number | undefined;
}

/**
 * Loads `load()` now and every `intervalMs` after the previous answer, while the tab is visible.
 * A failure keeps the last data on screen (an outage should not blank the dashboard) and is reported
 * beside it; `key` restarts the polling when what is loaded changes.
 */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = POLL_MS): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, updatedAt: undefined });
  const loadRef = useRef(load);
  loadRef.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key restarts the polling from scratch
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ data: undefined, error: undefined, updatedAt: undefined });

    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        try {
          const data = await loadRef.current();
          if (!stopped) setState({ data, error: undefined, updatedAt: Date.now() });
        } catch (error) {
          if (!stopped) setState((s) => ({ ...s, error: error as Error }));
        }
      }
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    const onVisible = () => {
      if (document.visibilityState !== 'visible' || stopped) return;
      clearTimeout(timer);
      void tick();
    };
    void tick();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, intervalMs]);

  return state;
}
