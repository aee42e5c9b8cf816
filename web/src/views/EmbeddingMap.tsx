/**
 * Embedding map: a version's stored 2-D projection (PCA or UMAP, computed server-side by the
 * `embeddings.project` job) drawn with WebGL by regl-scatterplot, which pans, zooms and selects
 * (lasso or box) over 10^6 points. Coordinates, ordinals and colour values come as packed arrays
 * from the binary routes; the text of a point is loaded only when it is hovered or selected
 * (`DatasetVersion.samplesAt`), and the selection fills a virtualised table below the map.
 *
 * Coordinates are fitted into the map's square as x' = (x - cx) / h, y' = (y - cy) / h, where
 * (cx, cy) is the centre of the projection's bounds and h is half the larger of its two extents
 * times 1.05, so every point lies in [-1/1.05, 1/1.05]^2 of regl-scatterplot's view.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import createScatterplot, { createRenderer } from 'regl-scatterplot';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { gql } from '../api';
import { useSession } from '../auth';
import { float32s } from '../binary';
import { paths, replaceQuery, useLocation } from '../router';
import { ErrorView, formatNumber, Link, Loading, ProgressBar, Query, useQuery } from '../ui';
import './EmbeddingMap.css';

/** The fitting margin of the module comment. */
export const MAP_MARGIN = 1.05;

interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

interface ProjectionView {
  id: string;
  method: 'PCA' | 'UMAP';
  status: string;
  statusReason: string | null;
  n: number | null;
  seed: number | null;
  library: string;
  params: Record<string, unknown>;
  explainedVariance: number[] | null;
  bounds: Bounds | null;
  createdAt: string;
  space: { key: string };
  coordinatesUrl: string;
  ordinalsUrl: string;
  valuesUrl: string;
}

interface MapVersion {
  version: {
    id: string;
    version: number;
    sampleCount: number;
    dataset: { slug: string; name: string };
    embeddings: { embedded: number; space: { key: string } }[];
    metrics: { metric: string; status: string; definition: { sampleValue: string | null } | null }[];
    overlaps: { id: string } | null;
    projections: ProjectionView[];
  } | null;
}

const VERSION = `query EmbeddingMapVersion($id: ID!) {
  version(id: $id) {
    id version sampleCount dataset { slug name }
    embeddings { embedded space { key } }
    metrics { metric status definition { sampleValue } }
    overlaps { id }
    projections {
      id method status statusReason n seed library params explainedVariance createdAt
      bounds { minX minY maxX maxY } space { key } coordinatesUrl ordinalsUrl valuesUrl
    }
  }
}`;

const samplesAt = (name: string) => `query ${name}($id: ID!, $ordinals: [Int!]!) {
  version(id: $id) { samplesAt(ordinals: $ordinals) { id ordinal prompt response } }
}`;
/** The selection table's and the hover card's requests (named apart, to be told apart in logs). */
const SAMPLES_AT = samplesAt('MapSelectedSamples');
const HOVERED_AT = samplesAt('MapHoveredSample');

interface SampleText {
  id: string;
  ordinal: number;
  prompt: string | null;
  response: string | null;
}

/**
 * Whether this document may compile code (regl needs `new Function`). The server allows it only
 * on the map's own URLs, so a map reached by a client-side navigation from another page reloads
 * once to get that policy.
 */
function codeGenerationAllowed(): boolean {
  try {
    return new Function('return true')() as boolean;
  } catch {
    return false;
  }
}

const RELOAD_FLAG = 'qdc.mapReloaded';

export default function EmbeddingMap({ versionId }: { versionId: string | null }) {
  const allowed = useMemo(codeGenerationAllowed, []);
  useEffect(() => {
    if (allowed) sessionStorage.removeItem(RELOAD_FLAG);
    else if (!sessionStorage.getItem(RELOAD_FLAG)) {
      sessionStorage.setItem(RELOAD_FLAG, '1');
      location.reload();
    }
  }, [allowed]);
  if (!allowed && versionId !== null) {
    return (
      <div className="error" role="alert">
        This page may not run the map's WebGL code (its Content-Security-Policy forbids code generation).
        Reload the page to open the map with its own policy.
      </div>
    );
  }
  return versionId === null ? <MapIndex /> : <VersionMap versionId={versionId} />;
}

function VersionMap({ versionId }: { versionId: string }) {
  const state = useQuery<MapVersion>(VERSION, { id: versionId });
  return (
    <Query state={state} notFound={(d) => (d.version ? null : `There is no version with id ${versionId}.`)}>
      {(data) => <MapPage version={data.version!} reload={state.reload} />}
    </Query>
  );
}

/** Versions that have vectors, each a link to its map. */
function MapIndex() {
  const state = useQuery<{
    datasets: {
      edges: {
        node: {
          slug: string;
          name: string;
          versions: {
            edges: {
              node: { id: string; version: number; sampleCount: number; embeddings: { embedded: number }[] };
            }[];
          };
        };
      }[];
    };
  }>(`query MapIndex { datasets(first: 100) { edges { node { slug name
      versions(first: 20) { edges { node { id version sampleCount embeddings { embedded } } } } } } } }`);
  if (state.error) return <ErrorView error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  const rows = state.data.datasets.edges.flatMap(({ node: d }) =>
    d.versions.edges
      .filter(({ node: v }) => v.embeddings.some((e) => e.embedded > 0))
      .map(({ node: v }) => ({ dataset: d, version: v })),
  );
  return (
    <section>
      <h1>Embedding maps</h1>
      {rows.length === 0 ? (
        <p className="empty">No version has vectors yet: embed one from its version page.</p>
      ) : (
        <ul data-testid="map-index">
          {rows.map(({ dataset, version }) => (
            <li key={version.id}>
              <Link to={paths.map(version.id)}>
                {dataset.name} v{version.version}
              </Link>{' '}
              <span className="sub">{formatNumber(version.sampleCount)} samples</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function MapPage({ version, reload }: { version: NonNullable<MapVersion['version']>; reload: () => void }) {
  const { query } = useLocation();
  const complete = version.projections.filter((p) => p.status === 'COMPLETE');
  const chosen = complete.find((p) => p.id === query.get('p')) ?? complete[0] ?? null;
  const colourKeys = version.metrics
    .filter((m) => (m.status === 'COMPLETE' || m.status === 'PARTIAL') && m.definition?.sampleValue)
    .map((m) => m.metric);
  const colour = query.get('colour') ?? '';
  const running = version.projections.some((p) => p.status === 'RUNNING');
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 1000);
    return () => clearInterval(timer);
  }, [running, reload]);
  return (
    <section className="embedding-map-page">
      <p className="sub">
        <Link to={paths.version(version.dataset.slug, version.version)}>
          {version.dataset.name} v{version.version}
        </Link>{' '}
        · {formatNumber(version.sampleCount)} samples
      </p>
      <h1>Embedding map</h1>
      <ProjectActions version={version} onQueued={reload} />
      {version.projections
        .filter((p) => p.status === 'RUNNING')
        .map((p) => (
          <ProgressBar key={p.id} fraction={null} label={`Projecting with ${p.method}…`} />
        ))}
      {version.projections
        .filter((p) => p.status === 'FAILED')
        .slice(0, 1)
        .map((p) => (
          <div key={p.id} className="error" role="alert">
            <strong>The last {p.method} projection failed.</strong> {p.statusReason}
          </div>
        ))}
      {complete.length === 0 ? (
        <p className="empty" data-testid="no-projection">
          No map of this version yet{version.embeddings.length === 0 ? ': embed the version first' : ''}.
        </p>
      ) : (
        <>
          <div className="map-controls">
            <label>
              Map{' '}
              <select
                name="projection"
                value={chosen?.id ?? ''}
                onChange={(e) => replaceQuery({ p: e.target.value })}
              >
                {complete.map((p) => (
                  <option key={p.id} value={p.id}>
                    {describe(p)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Colour by{' '}
              <select name="colour" value={colour} onChange={(e) => replaceQuery({ colour: e.target.value })}>
                <option value="">nothing</option>
                {colourKeys.map((key) => (
                  <option key={key} value={`metric:${key}`}>
                    {key}
                  </option>
                ))}
                {version.overlaps && <option value="overlap">near-duplicate (overlap with itself)</option>}
              </select>
            </label>
          </div>
          {chosen && <Provenance projection={chosen} />}
          {chosen && <MapView key={chosen.id} versionId={version.id} projection={chosen} colour={colour} />}
        </>
      )}
    </section>
  );
}

function describe(p: ProjectionView): string {
  const when = new Date(p.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  return `${p.method}${p.seed === null ? '' : ` seed ${p.seed}`} · ${p.space.key} · ${when}`;
}

function Provenance({ projection: p }: { projection: ProjectionView }) {
  return (
    <p className="sub map-provenance" data-testid="map-provenance">
      {p.method} of {formatNumber(p.n)} vectors in {p.space.key} by {p.library}
      {p.seed === null ? '' : `, seed ${p.seed}`}
      {p.explainedVariance
        ? `; variance explained ${p.explainedVariance.map((v) => `${(v * 100).toFixed(1)}%`).join(' + ')}`
        : ''}
      ; parameters {JSON.stringify(p.params)}
    </p>
  );
}

function ProjectActions({
  version,
  onQueued,
}: {
  version: NonNullable<MapVersion['version']>;
  onQueued: () => void;
}) {
  const session = useSession();
  const [error, setError] = useState<Error | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  // The queued job, followed until it ends (the map list only shows it once it has started).
  const job = useQuery<{
    job: { status: string; error: string | null; progress: { fraction: number | null } } | null;
  }>(
    'query MapJob($id: ID!) { job(id: $id) { status error progress { fraction } } }',
    { id: jobId },
    { skip: jobId === null, pollMs: jobId === null ? undefined : 1000 },
  );
  const status = job.data?.job?.status;
  useEffect(() => {
    if (jobId === null || !status || status === 'QUEUED' || status === 'RUNNING') return;
    if (status !== 'SUCCEEDED')
      setError(new Error(`the projection job ended ${status}: ${job.data?.job?.error ?? ''}`));
    setJobId(null);
    onQueued();
  }, [jobId, status, job.data, onQueued]);
  const space = version.embeddings.find((e) => e.embedded > 0)?.space.key;
  if (!session.canWrite || !space) return null;
  const queue = (method: 'PCA' | 'UMAP') => {
    setError(null);
    gql<{ projectVersion: { id: string } }>(
      `mutation Project($version: ID!, $space: String, $method: ProjectionMethod!) {
        projectVersion(version: $version, space: $space, method: $method) { id } }`,
      { version: version.id, space, method },
    ).then(
      (d) => setJobId(d.projectVersion.id),
      (e: Error) => setError(e),
    );
  };
  return (
    <div className="write-actions">
      <button type="button" onClick={() => queue('PCA')} disabled={jobId !== null}>
        Project with PCA
      </button>
      <button type="button" onClick={() => queue('UMAP')} disabled={jobId !== null}>
        Project with UMAP
      </button>
      {jobId !== null && (
        <ProgressBar
          fraction={job.data?.job?.progress.fraction ?? null}
          label={`Projection job ${status ?? 'QUEUED'}`}
        />
      )}
      {error && <ErrorView error={error} />}
    </div>
  );
}

const VIRIDIS = [
  '#440154',
  '#482878',
  '#3e4989',
  '#31688e',
  '#26828e',
  '#1f9e89',
  '#35b779',
  '#6ece58',
  '#b5de2b',
  '#fde725',
];
const OVERLAP_COLOURS = ['#b8c2cc', '#d62728'];

interface MapData {
  ordinals: Uint32Array;
  x: Float32Array;
  y: Float32Array;
}

/** Fits the coordinates into the view's square (see the module comment). */
export function fitToView(xy: Float32Array, bounds: Bounds): { x: Float32Array; y: Float32Array } {
  const cx = (bounds.minX + bounds.maxX) / 2;
  const cy = (bounds.minY + bounds.maxY) / 2;
  const half = (Math.max(bounds.maxX - bounds.minX, bounds.maxY - bounds.minY) / 2) * MAP_MARGIN || 1;
  const n = xy.length / 2;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (xy[2 * i]! - cx) / half;
    y[i] = (xy[2 * i + 1]! - cy) / half;
  }
  return { x, y };
}

function MapView({
  versionId,
  projection,
  colour,
}: {
  versionId: string;
  projection: ProjectionView;
  colour: string;
}) {
  const [data, setData] = useState<MapData | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [values, setValues] = useState<{ colour: string; values: Float32Array } | null>(null);
  const [selection, setSelection] = useState<number[]>([]);
  const [hovered, setHovered] = useState<number | null>(null);

  useEffect(() => {
    setError(null);
    const started = performance.now();
    Promise.all([float32s(projection.coordinatesUrl), float32s(projection.ordinalsUrl)]).then(
      ([xy, ordinalBytes]) => {
        const ordinals = new Uint32Array(ordinalBytes.buffer);
        const { x, y } = fitToView(xy, projection.bounds!);
        performance.mark('qdc-map-loaded', { detail: { ms: performance.now() - started } });
        setData({ ordinals, x, y });
      },
      (e: Error) => setError(e),
    );
  }, [projection, attempt]);

  useEffect(() => {
    if (!colour) return setValues(null);
    const query =
      colour === 'overlap' ? 'overlap=self' : `metric=${encodeURIComponent(colour.replace(/^metric:/, ''))}`;
    float32s(`${projection.valuesUrl}?${query}`).then(
      (v) => setValues({ colour, values: v }),
      (e: Error) => setError(e),
    );
  }, [colour, projection]);

  if (error) return <ErrorView error={error} retry={() => setAttempt((n) => n + 1)} />;
  if (!data) return <Loading what="Loading the map" />;
  const shown = values?.colour === colour ? values.values : null;
  return (
    <>
      <div className="map-layout">
        <Scatter
          data={data}
          values={shown}
          overlap={colour === 'overlap'}
          onSelect={setSelection}
          onHover={setHovered}
        />
        <aside className="map-side">
          {shown && (
            <Legend values={shown} overlap={colour === 'overlap'} label={colour.replace(/^metric:/, '')} />
          )}
          <HoverCard versionId={versionId} ordinal={hovered === null ? null : data.ordinals[hovered]!} />
        </aside>
      </div>
      <SelectionTable
        versionId={versionId}
        ordinals={selection.map((i) => data.ordinals[i]!)}
        values={selection.map((i) => (shown ? shown[i]! : Number.NaN))}
        valueLabel={shown ? colour.replace(/^metric:/, '') : null}
      />
    </>
  );
}

type Scatterplot = ReturnType<typeof createScatterplot>;

function Scatter({
  data,
  values,
  overlap,
  onSelect,
  onHover,
}: {
  data: MapData;
  values: Float32Array | null;
  overlap: boolean;
  onSelect: (indices: number[]) => void;
  onHover: (index: number | null) => void;
}) {
  const wrapper = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const plot = useRef<Scatterplot | null>(null);
  /** regl-scatterplot ignores a draw while one is running: each waits for the one before. */
  const drawing = useRef<Promise<unknown>>(Promise.resolve());
  const [mode, setMode] = useState<'panZoom' | 'lasso' | 'rectangle'>('panZoom');
  const [drawn, setDrawn] = useState<{ points: number; ms: number } | null>(null);
  const [selected, setSelected] = useState(0);
  const n = data.x.length;

  useEffect(() => {
    const size = Math.min(wrapper.current!.clientWidth, 720);
    // A renderer of our own, sized to the map: the shared default one sizes its canvas to the
    // screen, and a map taller than the screen (a small or headless one) would be cut off.
    const renderer = createRenderer({ canvas: document.createElement('canvas') });
    renderer.resize(size, size);
    const scatterplot = createScatterplot({
      renderer,
      canvas: canvas.current!,
      width: size,
      height: size,
      backgroundColor: '#ffffff',
      pointColor: '#3b6ea8',
      pointColorActive: '#ff7f0e',
      pointColorHover: '#111111',
      pointSize: n > 200_000 ? 2 : n > 20_000 ? 3 : 5,
      pointSizeSelected: 1,
      opacity: n > 200_000 ? 0.6 : 0.85,
      lassoColor: '#ff7f0e',
    });
    plot.current = scatterplot;
    scatterplot.subscribe('select', ({ points }: { points: number[] }) => {
      setSelected(points.length);
      onSelect([...points]);
    });
    scatterplot.subscribe('deselect', () => {
      setSelected(0);
      onSelect([]);
    });
    scatterplot.subscribe('pointOver', (index: number) => onHover(index));
    scatterplot.subscribe('pointOut', () => onHover(null));
    return () => {
      plot.current = null;
      scatterplot.destroy();
      renderer.destroy();
    };
  }, [n, onSelect, onHover]);

  useEffect(() => {
    const scatterplot = plot.current;
    if (!scatterplot) return;
    let valueA: Float32Array | undefined;
    if (values) {
      valueA = new Float32Array(values.length);
      if (overlap) for (let i = 0; i < values.length; i++) valueA[i] = values[i]! > 0 ? 1 : 0;
      else {
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of values) {
          if (!Number.isFinite(v)) continue;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const span = hi > lo ? hi - lo : 1;
        for (let i = 0; i < values.length; i++) {
          const v = values[i]!;
          valueA[i] = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - lo) / span)) : 0;
        }
      }
    }
    drawing.current = drawing.current
      .then(async () => {
        if (plot.current !== scatterplot) return;
        const started = performance.now();
        scatterplot.set({
          colorBy: valueA ? 'valueA' : null,
          pointColor: valueA ? (overlap ? OVERLAP_COLOURS : VIRIDIS) : '#3b6ea8',
        });
        await scatterplot.draw(valueA ? { x: data.x, y: data.y, valueA } : { x: data.x, y: data.y }, {
          zDataType: overlap ? 'categorical' : 'continuous',
          preventFilterReset: true,
        });
        const ms = performance.now() - started;
        performance.mark('qdc-map-drawn', { detail: { ms, points: n } });
        setDrawn({ points: (scatterplot.get('points') as unknown[]).length, ms });
      })
      .catch((error: unknown) => console.error('drawing the map failed', error));
  }, [data, values, overlap, n]);

  useEffect(() => {
    const scatterplot = plot.current;
    if (!scatterplot) return;
    // `lassoType` ('freeform' | 'rectangle' | 'brush') is a documented property that the bundled
    // types (1.16) leave out of their settable options.
    const lasso = { mouseMode: 'lasso', lassoType: mode === 'rectangle' ? 'rectangle' : 'freeform' };
    scatterplot.set(
      mode === 'panZoom' ? { mouseMode: 'panZoom' } : (lasso as Parameters<Scatterplot['set']>[0]),
    );
  }, [mode]);

  const clear = useCallback(() => plot.current?.deselect(), []);

  return (
    <div
      className="map-canvas"
      ref={wrapper}
      data-testid="embedding-map"
      data-points={drawn?.points ?? ''}
      data-selected={selected}
    >
      <div className="map-tools" role="toolbar" aria-label="Map tools">
        {(
          [
            ['panZoom', 'Pan / zoom'],
            ['rectangle', 'Box select'],
            ['lasso', 'Lasso'],
          ] as const
        ).map(([value, label]) => (
          <button key={value} type="button" aria-pressed={mode === value} onClick={() => setMode(value)}>
            {label}
          </button>
        ))}
        <button type="button" onClick={clear} disabled={selected === 0}>
          Clear selection
        </button>
        <span className="sub" data-testid="map-count">
          {formatNumber(drawn?.points ?? 0)} points{selected ? ` · ${formatNumber(selected)} selected` : ''}
          {drawn ? ` · drawn in ${Math.round(drawn.ms)} ms` : ''}
        </span>
      </div>
      <canvas ref={canvas} />
      <p className="sub">Drag to pan, scroll to zoom; shift-drag (or a select tool) draws a selection.</p>
    </div>
  );
}

function Legend({ values, overlap, label }: { values: Float32Array; overlap: boolean; label: string }) {
  const stats = useMemo(() => {
    let lo = Infinity;
    let hi = -Infinity;
    let missing = 0;
    let ones = 0;
    for (const v of values) {
      if (!Number.isFinite(v)) missing++;
      else {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        if (v > 0) ones++;
      }
    }
    return { lo, hi, missing, ones };
  }, [values]);
  if (overlap) {
    return (
      <div className="map-legend" data-testid="map-legend">
        <span className="swatch" style={{ background: OVERLAP_COLOURS[1] }} /> near-duplicate (
        {formatNumber(stats.ones)})
        <br />
        <span className="swatch" style={{ background: OVERLAP_COLOURS[0] }} /> no match
      </div>
    );
  }
  return (
    <div className="map-legend" data-testid="map-legend">
      <strong>{label}</strong>
      <div className="ramp" style={{ background: `linear-gradient(to right, ${VIRIDIS.join(', ')})` }} />
      <div className="ramp-ends">
        <span>{formatNumber(stats.lo)}</span>
        <span>{formatNumber(stats.hi)}</span>
      </div>
      {stats.missing > 0 && (
        <p className="sub">{formatNumber(stats.missing)} points without a score (drawn at the low end)</p>
      )}
    </div>
  );
}

/** The hovered point's text, loaded when it is hovered (the last request wins). */
function HoverCard({ versionId, ordinal }: { versionId: string; ordinal: number | null }) {
  const [sample, setSample] = useState<SampleText | null>(null);
  useEffect(() => {
    if (ordinal === null) return;
    let live = true;
    const timer = setTimeout(() => {
      gql<{ version: { samplesAt: (SampleText | null)[] } }>(HOVERED_AT, {
        id: versionId,
        ordinals: [ordinal],
      }).then(
        (d) => live && setSample(d.version.samplesAt[0] ?? null),
        () => undefined,
      );
    }, 80);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [versionId, ordinal]);
  if (ordinal === null && !sample) return <p className="sub">Hover a point to read its sample.</p>;
  return (
    <div className="map-hover" data-testid="map-hover">
      <strong>#{sample?.ordinal ?? ordinal}</strong>
      {sample && (
        <>
          <pre>{sample.prompt}</pre>
          <pre>{sample.response}</pre>
        </>
      )}
    </div>
  );
}

const TEXT_BATCH = 100;

/** The selected points, virtualised; each row's text is fetched when the row comes into view. */
function SelectionTable({
  versionId,
  ordinals,
  values,
  valueLabel,
}: {
  versionId: string;
  ordinals: number[];
  values: number[];
  valueLabel: string | null;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [texts, setTexts] = useState<Map<number, SampleText | null>>(new Map());
  const asked = useRef(new Set<number>());
  const order = useMemo(
    () => ordinals.map((o, i) => ({ o, v: values[i]! })).sort((a, b) => a.o - b.o),
    [ordinals, values],
  );
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 64,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    const wanted = order
      .slice(first, last + 1)
      .map((r) => r.o)
      .filter((o) => !asked.current.has(o));
    for (let start = 0; start < wanted.length; start += TEXT_BATCH) {
      const batch = wanted.slice(start, start + TEXT_BATCH);
      batch.forEach((o) => asked.current.add(o));
      gql<{ version: { samplesAt: (SampleText | null)[] } }>(SAMPLES_AT, {
        id: versionId,
        ordinals: batch,
      }).then(
        (d) =>
          setTexts((old) => {
            const next = new Map(old);
            batch.forEach((o, i) => next.set(o, d.version.samplesAt[i] ?? null));
            return next;
          }),
        () => batch.forEach((o) => asked.current.delete(o)),
      );
    }
  }, [order, first, last, versionId]);
  if (order.length === 0) {
    return (
      <p className="empty">Select points on the map (box, lasso or shift-drag) to list their samples here.</p>
    );
  }
  return (
    <section className="map-selection">
      <h2>
        {formatNumber(order.length)} selected sample{order.length === 1 ? '' : 's'}
      </h2>
      <div className="sample-scroller" ref={scroller} data-testid="map-selection" data-count={order.length}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = order[item.index]!;
            const sample = texts.get(row.o);
            return (
              <article
                key={row.o}
                className="sample"
                data-ordinal={row.o}
                data-index={item.index}
                ref={virtualizer.measureElement}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                <header>
                  <span className="ordinal">#{row.o}</span>
                  {valueLabel && (
                    <span className="score">
                      {valueLabel} {formatNumber(Number.isNaN(row.v) ? null : row.v)}
                    </span>
                  )}
                </header>
                {sample === undefined ? (
                  <p className="loading">Loading…</p>
                ) : sample === null ? (
                  <p className="empty">No sample at this ordinal.</p>
                ) : (
                  <>
                    <pre className="prompt">{sample.prompt}</pre>
                    <pre className="response">{sample.response}</pre>
                  </>
                )}
              </article>
            );
          })}
        </div>
      </div>
      <p className="sub">
        <Link to={paths.samples(versionId)}>Open the sample browser</Link> for sorting and filters over the
        whole version.
      </p>
    </section>
  );
}
