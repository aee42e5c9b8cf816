/** Client-side routes on the History API: `navigate` and the `useLocation` hook. */
import { useEffect, useState } from 'react';

const listeners = new Set<() => void>();

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  listeners.forEach((listener) => listener());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Replace the query string (filters, sort) without a new history entry. */
export function replaceQuery(params: Record<string, string | null | undefined>): void {
  const query = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(params)) {
    if (value == null || value === '') query.delete(key);
    else query.set(key, value);
  }
  const search = query.toString();
  history.replaceState(null, '', location.pathname + (search ? `?${search}` : ''));
  listeners.forEach((listener) => listener());
}

export const paths = {
  home: () => '/',
  dataset: (slug: string) => `/datasets/${encodeURIComponent(slug)}`,
  version: (slug: string, version: number) => `/datasets/${encodeURIComponent(slug)}/v/${version}`,
  lineage: (versionId: string) => `/versions/${encodeURIComponent(versionId)}/lineage`,
  samples: (versionId: string) => `/versions/${encodeURIComponent(versionId)}/samples`,
  map: (versionId?: string) => (versionId ? `/versions/${encodeURIComponent(versionId)}/map` : '/map'),
  compare: (base: string, head: string) =>
    `/compare?base=${encodeURIComponent(base)}&head=${encodeURIComponent(head)}`,
  qd: (query = '') => `/qd${query ? `?${query}` : ''}`,
  taxonomy: () => '/taxonomy',
  algorithm: (key: string) => `/taxonomy/algorithms/${encodeURIComponent(key)}`,
};
