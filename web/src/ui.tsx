/** Shared pieces of every view: data loading, errors with their codes, links, progress bars. */
import { useCallback, useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { gql, GraphQLRequestError, NetworkError } from './api';
import { navigate } from './router';

export interface QueryState<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Runs a GraphQL query when its variables change; `pollMs` re-runs it while mounted. */
export function useQuery<T>(
  query: string,
  variables: Record<string, unknown> = {},
  options: { skip?: boolean; pollMs?: number } = {},
): QueryState<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: !options.skip,
  });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  const generation = useRef(0);
  useEffect(() => {
    if (options.skip) return;
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    gql<T>(query, JSON.parse(key) as Record<string, unknown>).then(
      (data) => mine === generation.current && setState({ data, error: null, loading: false }),
      (error: Error) => mine === generation.current && setState({ data: null, error, loading: false }),
    );
  }, [query, key, tick, options.skip]);
  useEffect(() => {
    if (!options.pollMs) return;
    const timer = setInterval(() => setTick((n) => n + 1), options.pollMs);
    return () => clearInterval(timer);
  }, [options.pollMs]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className}>
      {children}
    </a>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

/** A failed request: GraphQL errors with message and code, auth errors as such, network loss with retry. */
export function ErrorView({ error, retry }: { error: Error; retry?: () => void }) {
  if (error instanceof NetworkError) {
    return (
      <div className="error" role="alert" data-kind="network">
        <strong>Network error.</strong> {error.message}{' '}
        {retry && (
          <button type="button" onClick={retry}>
            Retry
          </button>
        )}
      </div>
    );
  }
  if (error instanceof GraphQLRequestError) {
    const title =
      error.code === 'UNAUTHENTICATED'
        ? '401 Unauthenticated'
        : error.code === 'FORBIDDEN'
          ? '403 Forbidden'
          : 'GraphQL error';
    return (
      <div className="error" role="alert" data-code={error.code}>
        <strong>{title}</strong> <code className="code">{error.code}</code>: {error.message}
        {retry && (
          <>
            {' '}
            <button type="button" onClick={retry}>
              Retry
            </button>
          </>
        )}
      </div>
    );
  }
  return (
    <div className="error" role="alert">
      <strong>Error.</strong> {error.message}
    </div>
  );
}

export function NotFound({ what }: { what: string }) {
  return (
    <section className="not-found" data-testid="not-found">
      <h1>Not found</h1>
      <p>{what}</p>
      <p>
        <Link to="/">Back to the catalog</Link>
      </p>
    </section>
  );
}

/** Shows loading, error or the view; `notFound` when the data says the object does not exist. */
export function Query<T>({
  state,
  notFound,
  children,
}: {
  state: QueryState<T>;
  notFound?: (data: T) => string | null;
  children: (data: T) => ReactNode;
}) {
  // An unknown id (NOT_FOUND) or one this API never handed out (BAD_USER_INPUT "not a valid id").
  if (
    state.error instanceof GraphQLRequestError &&
    (state.error.code === 'NOT_FOUND' || / is not a valid id/.test(state.error.message))
  ) {
    return <NotFound what={state.error.message} />;
  }
  if (state.error) return <ErrorView error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  const missing = notFound?.(state.data);
  if (missing) return <NotFound what={missing} />;
  return <>{children(state.data)}</>;
}

export function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  const percent = fraction === null ? null : Math.round(fraction * 1000) / 10;
  return (
    <div className="progress" role="progressbar" aria-valuenow={percent ?? undefined} aria-label={label}>
      <div className="bar" style={{ width: `${percent ?? 0}%` }} />
      <span>
        {label} {percent === null ? '' : `${percent}%`}
      </span>
    </div>
  );
}

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '–';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

/** JSON on one line; long values fold into a details element. */
export function JsonText({ value }: { value: unknown }) {
  const text = JSON.stringify(value);
  if (text.length <= 90) return <code className="json">{text}</code>;
  return (
    <details className="json-fold">
      <summary>
        <code className="json">{text.slice(0, 60)}…</code>
      </summary>
      <pre className="json">{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

/**
 * The cursors of a keyset-paged list seen so far, so "Previous" can go back: `after` is the
 * current page's cursor, `page` its 1-based number.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    next: (endCursor: string | null) => setCursors((list) => [...list, endCursor]),
    previous: () => setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list)),
    reset: () => setCursors([null]),
  };
}

/** Previous / Next buttons of a list paged with `useCursorPages`. */
export function Pager({
  pages,
  pageInfo,
  label,
}: {
  pages: ReturnType<typeof useCursorPages>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  label?: string;
}) {
  return (
    <div className="pager" data-pager={label}>
      <button type="button" disabled={pages.page <= 1} onClick={pages.previous}>
        Previous
      </button>
      <button type="button" disabled={!pageInfo.hasNextPage} onClick={() => pages.next(pageInfo.endCursor)}>
        Next
      </button>
      {pages.page > 1 && <span className="sub"> page {pages.page}</span>}
    </div>
  );
}
