import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, messageOf } from './api-error.ts';

export interface Loaded<T> {
  /** The data; undefined until the first load ends well. */
  data: T | undefined;
  /** The message of the last failure, if the last load failed. */
  error: string | null;
  /** The field messages of the last failure (problem+json `errors`), e.g. a query parameter refused. */
  fields: Readonly<Record<string, string>>;
  loading: boolean;
  reload(): void;
  /** Replaces the data with what a change answered, with no new request. */
  replace(data: T): void;
}

/** Runs `load` now and whenever `key` changes; a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Readonly<Record<string, string>>>({});
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    let current = true;
    setLoading(true);
    latest.current().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(null);
        setFields({});
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(messageOf(failure));
        setFields(failure instanceof ApiError ? failure.fields : {});
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [key, round]);

  const reload = useCallback(() => setRound((n) => n + 1), []);
  const replace = useCallback((value: T) => setData(value), []);
  return { data, error, fields, loading, reload, replace };
}
