/** The explorer's shell: header, session (API key) gate and the client-side routes. */
import { lazy, StrictMode, Suspense, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionBadge, SessionGate } from './auth';
import { useLocation } from './router';
import { Link, Loading, NotFound } from './ui';
import Home from './views/Home';
import './style.css';

const views = {
  dataset: () => import('./views/Dataset'),
  compare: () => import('./views/Compare'),
  lineage: () => import('./views/Lineage'),
  qd: () => import('./views/QdPlane'),
  samples: () => import('./views/Samples'),
  taxonomy: () => import('./views/Taxonomy'),
  map: () => import('./views/EmbeddingMap'),
};
const DatasetPage = lazy(views.dataset);
const ComparePage = lazy(views.compare);
const LineagePage = lazy(views.lineage);
const QdPlanePage = lazy(views.qd);
const SamplesPage = lazy(views.samples);
const TaxonomyPage = lazy(views.taxonomy);
const EmbeddingMapPage = lazy(views.map);

// Fetch the opening view's code while the session is checked, not after.
const opening = location.pathname;
if (/^\/datasets\//.test(opening)) void views.dataset();
else if (/\/lineage\/?$/.test(opening)) void views.lineage();
else if (/\/samples\/?$/.test(opening)) void views.samples();
else if (opening === '/qd') void views.qd();
else if (opening === '/compare') void views.compare();
else if (opening.startsWith('/taxonomy')) void views.taxonomy();
else if (opening === '/map' || /\/map\/?$/.test(opening)) void views.map();

function route(path: string, query: URLSearchParams): ReactNode {
  let m: RegExpExecArray | null;
  if (path === '/') return <Home />;
  if (path === '/compare') return <ComparePage base={query.get('base')} head={query.get('head')} />;
  if ((m = /^\/datasets\/([^/]+)(?:\/v\/(\d+))?\/?$/.exec(path))) {
    return <DatasetPage slug={decodeURIComponent(m[1]!)} version={m[2] ? Number(m[2]) : null} />;
  }
  if ((m = /^\/versions\/([^/]+)\/lineage\/?$/.exec(path))) {
    return <LineagePage versionId={decodeURIComponent(m[1]!)} />;
  }
  if ((m = /^\/versions\/([^/]+)\/samples\/?$/.exec(path))) {
    return <SamplesPage versionId={decodeURIComponent(m[1]!)} />;
  }
  if ((m = /^\/versions\/([^/]+)\/map\/?$/.exec(path))) {
    return <EmbeddingMapPage versionId={decodeURIComponent(m[1]!)} />;
  }
  if (path === '/map') return <EmbeddingMapPage versionId={null} />;
  if (path === '/qd') return <QdPlanePage />;
  if (path === '/taxonomy') return <TaxonomyPage algorithmKey={null} />;
  if ((m = /^\/taxonomy\/algorithms\/([^/]+)\/?$/.exec(path))) {
    return <TaxonomyPage algorithmKey={decodeURIComponent(m[1]!)} />;
  }
  return <NotFound what={`There is no page at ${path}.`} />;
}

export function Header({ badge }: { badge?: ReactNode }) {
  return (
    <header className="top">
      <Link to="/" className="brand">
        qdc explorer
      </Link>
      <nav>
        <Link to="/">Catalog</Link>
        <Link to="/qd">QD plane</Link>
        {/* A full page load: the map's pages are served with the policy its WebGL library needs. */}
        <a href="/map">Embedding map</a>
        <Link to="/taxonomy">Taxonomy</Link>
        <a href="/graphql">GraphQL IDE</a>
      </nav>
      <div className="session">{badge}</div>
    </header>
  );
}

function App() {
  const { path, query } = useLocation();
  return (
    <>
      <Header badge={<SessionBadge />} />
      <main>
        <Suspense fallback={<Loading />}>{route(path, query)}</Suspense>
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionGate
      frame={(body) => (
        <>
          <Header />
          <main>{body}</main>
        </>
      )}
    >
      <App />
    </SessionGate>
  </StrictMode>,
);
