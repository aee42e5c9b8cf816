/**
 * The quality x diversity plane: versions on two metrics (Observable Plot, with d3-zoom's pan and
 * zoom), the Pareto frontier from `paretoFrontier`, excluded versions with why, lineage arrows,
 * virtualised tables of the versions and the excluded, and a comparison of the ticked ones.
 */
import * as Plot from '@observablehq/plot';
import { useVirtualizer } from '@tanstack/react-virtual';
import { select } from 'd3-selection';
import { zoom, type D3ZoomEvent } from 'd3-zoom';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { gql } from '../api';
import { navigate, paths, replaceQuery, useLocation } from '../router';
import { ErrorView, formatNumber, Link, Loading, Query, useQuery } from '../ui';

interface PointVersion {
  id: string;
  version: number;
  dataset: { slug: string };
  parents: { role: string; version: { id: string } }[];
}

interface Point {
  x: number;
  y: number;
  onFrontier: boolean;
  version: PointVersion;
}

interface FrontierData {
  paretoFrontier: {
    xDirection: string;
    yDirection: string;
    points: Point[];
    frontier: { x: number; y: number; version: { id: string } }[];
    excluded: { reason: string; version: { id: string; version: number; dataset: { slug: string } } }[];
  };
}

/**
 * Most dots that each get a text label, a link and a title; beyond it only the frontier's dots
 * are labelled and the pointer's tip stands for the rest.
 */
const MAX_LABELS = 300;

const FRONTIER = `query QdPlane($x: MetricAxisInput!, $y: MetricAxisInput!, $scope: VersionScopeInput) {
  paretoFrontier(x: $x, y: $y, scope: $scope) {
    xDirection yDirection
    points { x y onFrontier version { id version dataset { slug } parents { role version { id } } } }
    frontier { x y version { id } }
    excluded { reason version { id version dataset { slug } } }
  }
}`;

const DEFINITIONS = `{ metricDefinitions { key axis direction } }`;

const DESCENDANTS = `query Subtree($version: ID!) {
  lineage(input: { version: $version, direction: DOWNSTREAM, depth: 10, maxNodes: 1000 }) {
    root { id } nodes { version { id } } isPartial
  }
}`;

const COMPARE = `query Compare($versions: [ID!]!, $metrics: [String!]) {
  compareVersions(versions: $versions, metrics: $metrics) {
    metrics warnings
    rows { version { id version dataset { slug } } cells { metric value n estimator comparable note } }
  }
}`;

interface Definition {
  key: string;
  axis: string;
  direction: string;
}

export default function QdPlanePage() {
  const { query } = useLocation();
  const definitions = useQuery<{ metricDefinitions: Definition[] }>(DEFINITIONS);
  const defs = definitions.data?.metricDefinitions ?? [];
  const x = query.get('x') ?? 'quality.heuristic_quality';
  const y = query.get('y') ?? 'diversity.distinct_n';
  const datasets = query.get('datasets') ?? '';
  const descendantsOf = query.get('descendantsOf') ?? '';
  const arrows = query.get('arrows') !== 'off';
  const direction = (key: string, override: string | null) =>
    override || (defs.find((d) => d.key === key)?.direction === 'NEUTRAL' ? 'HIGHER_IS_BETTER' : undefined);
  const subtree = useQuery<{
    lineage: { root: { id: string }; nodes: { version: { id: string } }[]; isPartial: boolean };
  }>(DESCENDANTS, { version: descendantsOf }, { skip: !descendantsOf });
  const scope = descendantsOf
    ? subtree.data
      ? { versions: [subtree.data.lineage.root.id, ...subtree.data.lineage.nodes.map((n) => n.version.id)] }
      : null
    : datasets
      ? {
          datasets: datasets
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : undefined;
  const frontier = useQuery<FrontierData>(
    FRONTIER,
    {
      x: { metric: x, direction: direction(x, query.get('xdir')) },
      y: { metric: y, direction: direction(y, query.get('ydir')) },
      scope,
    },
    { skip: scope === null || !definitions.data },
  );
  return (
    <div className="qd-page">
      <h1>Quality × diversity plane</h1>
      <form className="controls" onSubmit={(event) => event.preventDefault()}>
        <MetricSelect name="x" value={x} defs={defs} />
        <MetricSelect name="y" value={y} defs={defs} />
        <label>
          datasets{' '}
          <input
            name="datasets"
            placeholder="all (slugs, comma-separated)"
            defaultValue={datasets}
            onBlur={(e) => replaceQuery({ datasets: e.target.value, descendantsOf: null })}
            onKeyDown={(e) => {
              if (e.key === 'Enter')
                replaceQuery({ datasets: (e.target as HTMLInputElement).value, descendantsOf: null });
            }}
          />
        </label>
        {descendantsOf && (
          <span className="scope">
            scope: lineage subtree{' '}
            <button type="button" onClick={() => replaceQuery({ descendantsOf: null })}>
              clear
            </button>
          </span>
        )}
        <label>
          <input
            type="checkbox"
            name="arrows"
            checked={arrows}
            onChange={(e) => replaceQuery({ arrows: e.target.checked ? null : 'off' })}
          />{' '}
          lineage arrows
        </label>
      </form>
      {subtree.error && <ErrorView error={subtree.error} retry={subtree.reload} />}
      {definitions.error && <ErrorView error={definitions.error} retry={definitions.reload} />}
      <Query state={frontier}>
        {(data) => <Plane data={data.paretoFrontier} x={x} y={y} arrows={arrows} />}
      </Query>
    </div>
  );
}

function MetricSelect({ name, value, defs }: { name: 'x' | 'y'; value: string; defs: Definition[] }) {
  const keys = defs.some((d) => d.key === value)
    ? defs.map((d) => d.key)
    : [value, ...defs.map((d) => d.key)];
  return (
    <label>
      {name}{' '}
      <select name={name} value={value} onChange={(e) => replaceQuery({ [name]: e.target.value })}>
        {keys.map((key) => (
          <option key={key} value={key}>
            {key}
          </option>
        ))}
      </select>
    </label>
  );
}

const label = (v: { version: number; dataset: { slug: string } }) => `${v.dataset.slug} v${v.version}`;

type Domain = [number, number];

/** What the plot shows: null is every point; otherwise the x and y domains zoomed or panned to. */
interface View {
  x: Domain;
  y: Domain;
}

/** Marks that pan and zoom with the view (the axes and grid are drawn again when a gesture ends). */
const ZOOMED_MARKS = new Set(['dot', 'line', 'arrow', 'text']);

/** How long after the last pan or zoom gesture the chart is drawn again with the new domains. */
const REDRAW_AFTER_MS = 250;

/**
 * Pan and zoom on a Plot chart (in the page already) with d3-zoom. The marks that move are taken
 * out into their own SVG on a layer under the chart, clipped to the plot's frame; during a gesture
 * only that layer's CSS transform changes, which the browser's compositor applies to what it
 * has drawn, so a frame costs the same for 10 dots or 10,000. When the gestures end, `onView` gets
 * the new domains and the chart is drawn again with them (axes included, dots at their size).
 */
function attachZoom(chart: ReturnType<typeof Plot.plot>, onView: (view: View) => void): void {
  const svg = chart instanceof SVGSVGElement ? chart : chart.querySelector<SVGSVGElement>(':scope > svg');
  const xScale = chart.scale('x');
  const yScale = chart.scale('y');
  if (!svg || svg === chart || !xScale?.range || !yScale?.range || !xScale.invert || !yScale.invert) return;
  const [left, right] = [Math.min(...xScale.range), Math.max(...xScale.range)] as Domain;
  const [top, bottom] = [Math.min(...yScale.range), Math.max(...yScale.range)] as Domain;
  const pad = 20; // Plot's inset: dots at the edge of the domain stay whole
  const ns = 'http://www.w3.org/2000/svg';
  const layer = document.createElement('div');
  layer.className = 'qd-layer';
  layer.dataset.testid = 'qd-marks';
  const at = svg.getBoundingClientRect();
  const origin = chart.getBoundingClientRect();
  Object.assign(layer.style, {
    left: `${at.left - origin.left + left - pad}px`,
    top: `${at.top - origin.top + top - pad}px`,
    width: `${right - left + 2 * pad}px`,
    height: `${bottom - top + 2 * pad}px`,
  });
  const moving = document.createElementNS(ns, 'svg');
  for (const name of ['class', 'width', 'height', 'viewBox']) {
    const value = svg.getAttribute(name);
    if (value !== null) moving.setAttribute(name, value);
  }
  Object.assign(moving.style, { left: `${pad - left}px`, top: `${pad - top}px` });
  const style = svg.querySelector(':scope > style');
  if (style) moving.appendChild(style.cloneNode(true));
  for (const mark of [...svg.children]) {
    if (ZOOMED_MARKS.has(mark.getAttribute('aria-label') ?? '')) moving.appendChild(mark);
  }
  layer.appendChild(moving);
  chart.insertBefore(layer, svg);
  const invertX = xScale.invert;
  const invertY = yScale.invert;
  // A wheel gesture can end while a drag goes on (each is its own gesture): draw again only when
  // the last one has ended, and a moment later, as wheel gestures end whenever a frame is late.
  let active = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const behaviour = zoom<SVGSVGElement, unknown>()
    .extent([
      [left, top],
      [right, bottom],
    ])
    .scaleExtent([1 / 64, 4096])
    .on('start', () => {
      active++;
      clearTimeout(pending);
    })
    .on('zoom', (event: D3ZoomEvent<SVGSVGElement, unknown>) => {
      const { x, y, k } = event.transform;
      moving.style.transform = `translate(${x}px, ${y}px) scale(${k})`;
    })
    .on('end', (event: D3ZoomEvent<SVGSVGElement, unknown>) => {
      if (--active > 0) return;
      const t = event.transform;
      if (t.k === 1 && t.x === 0 && t.y === 0) return;
      const xs = [invertX(t.invertX(left)) as number, invertX(t.invertX(right)) as number];
      const ys = [invertY(t.invertY(bottom)) as number, invertY(t.invertY(top)) as number];
      const next: View = { x: [Math.min(...xs), Math.max(...xs)], y: [Math.min(...ys), Math.max(...ys)] };
      pending = setTimeout(() => {
        performance.mark('qdc-qd-gesture-end');
        onView(next);
      }, REDRAW_AFTER_MS);
    });
  select(svg).call(behaviour);
}

/** The points a view draws: those in it and a view's width or height around it (for panning). */
function inView(points: Point[], view: View | null): Point[] {
  if (!view) return points;
  const [x0, x1] = view.x;
  const [y0, y1] = view.y;
  const w = x1 - x0;
  const h = y1 - y0;
  return points.filter((p) => p.x >= x0 - w && p.x <= x1 + w && p.y >= y0 - h && p.y <= y1 + h);
}

function Plane({
  data,
  x,
  y,
  arrows,
}: {
  data: FrontierData['paretoFrontier'];
  x: string;
  y: string;
  arrows: boolean;
}) {
  const container = useRef<HTMLDivElement>(null);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [view, setView] = useState<View | null>(null);
  useEffect(() => setView(null), [data]);
  const links = useMemo(() => {
    if (!arrows) return [];
    const byId = new Map(data.points.map((p) => [p.version.id, p]));
    return data.points.flatMap((child) =>
      child.version.parents
        .filter((p) => byId.has(p.version.id))
        .map((p) => ({ from: byId.get(p.version.id)!, to: child, role: p.role })),
    );
  }, [data, arrows]);
  const frontierLine = useMemo(() => [...data.frontier].sort((a, b) => a.x - b.x), [data]);
  useEffect(() => {
    if (!container.current) return;
    const points = inView(data.points, view);
    const few = points.length <= MAX_LABELS;
    const labelled = few ? points : points.filter((p) => p.onFrontier);
    const title = (p: Point) =>
      `${label(p.version)}\n${x} = ${formatNumber(p.x)}\n${y} = ${formatNumber(p.y)}`;
    const chart = Plot.plot({
      width: Math.min(900, container.current.clientWidth || 900),
      height: 480,
      grid: true,
      inset: 20,
      x: {
        label: `${x} (${data.xDirection === 'LOWER_IS_BETTER' ? '← better' : 'better →'})`,
        ...(view && { domain: view.x }),
      },
      y: {
        label: `${y} (${data.yDirection === 'LOWER_IS_BETTER' ? '↓ better' : '↑ better'})`,
        ...(view && { domain: view.y }),
      },
      color: { domain: ['frontier', 'dominated'], range: ['#d62728', '#6b8fb5'], legend: true },
      marks: [
        Plot.line(frontierLine, { x: 'x', y: 'y', stroke: '#d62728', strokeDasharray: '4 3' }),
        Plot.arrow(links, {
          x1: (l) => l.from.x,
          y1: (l) => l.from.y,
          x2: (l) => l.to.x,
          y2: (l) => l.to.y,
          stroke: '#999',
          bend: true,
          inset: 6,
          title: (l) => `${label(l.from.version)} → ${label(l.to.version)} (${l.role})`,
        }),
        // The dots lie under the chart (see attachZoom): the pointer's nearest dot gets a tip and a
        // click opens it. While there are few, each dot is also a link with a title (for the
        // keyboard and screen readers); past that those would cost more than the dots.
        Plot.dot(points, {
          x: 'x',
          y: 'y',
          r: 6,
          fill: (p: Point) => (p.onFrontier ? 'frontier' : 'dominated'),
          stroke: 'white',
          ariaLabel: (p: Point) => label(p.version),
          ...(few && { href: (p: Point) => paths.version(p.version.dataset.slug, p.version.version), title }),
        }),
        Plot.tip(points, Plot.pointer({ x: 'x', y: 'y', title })),
        // A label per dot is unreadable (and slow) past a few hundred: then only the frontier's.
        Plot.text(labelled, {
          x: 'x',
          y: 'y',
          text: (p: Point) => label(p.version),
          dy: -12,
          fontSize: 10,
          fill: '#333',
        }),
      ],
    });
    chart.addEventListener('click', (event) => {
      const anchor = (event.target as Element).closest('a');
      const href = anchor?.getAttribute('href');
      // The pointer's dot (Plot sets the chart's value to it), when the dots are not links.
      const pointed = (chart as { value?: Point | null }).value;
      const to =
        href ?? (pointed ? paths.version(pointed.version.dataset.slug, pointed.version.version) : null);
      if (to) {
        event.preventDefault();
        navigate(to);
      }
    });
    const domains = { x: chart.scale('x')?.domain, y: chart.scale('y')?.domain };
    container.current.dataset.xDomain = [...(domains.x ?? [])].join(',');
    container.current.dataset.yDomain = [...(domains.y ?? [])].join(',');
    container.current.dataset.drawn = String(points.length);
    container.current.replaceChildren(chart);
    attachZoom(chart, setView);
    performance.mark('qdc-qd-drawn', { detail: { points: points.length } });
    return () => chart.remove();
  }, [data, x, y, links, frontierLine, view]);
  const compared = chosen ?? data.frontier.map((f) => f.version.id);
  const comparedSet = new Set(compared);
  const toggle = (id: string) =>
    setChosen(comparedSet.has(id) ? compared.filter((c) => c !== id) : [...compared, id]);
  return (
    <>
      <p className="count" data-testid="qd-summary">
        {data.points.length} versions placed, {data.frontier.length} on the frontier, {data.excluded.length}{' '}
        excluded
        <span className="sub">
          {' '}
          · scroll to zoom, drag to pan
          {view && (
            <>
              {' '}
              <button type="button" className="link" onClick={() => setView(null)} data-testid="qd-reset">
                show all
              </button>
            </>
          )}
        </span>
      </p>
      <div className="plot" ref={container} data-testid="qd-plot" />
      <div className="qd-tables">
        <VirtualTable
          testId="qd-points"
          caption="Versions (tick to compare)"
          columns={['', 'Version', x, y, 'Frontier']}
          numeric={[2, 3]}
          items={data.points}
          row={(p) => ({
            key: p.version.id,
            attributes: { 'data-version-id': p.version.id, 'data-frontier': String(p.onFrontier) },
            cells: [
              <input
                type="checkbox"
                aria-label={`compare ${label(p.version)}`}
                checked={comparedSet.has(p.version.id)}
                onChange={() => toggle(p.version.id)}
              />,
              <Link to={paths.version(p.version.dataset.slug, p.version.version)}>{label(p.version)}</Link>,
              formatNumber(p.x),
              formatNumber(p.y),
              p.onFrontier ? 'yes' : '',
            ],
          })}
        />
        {data.excluded.length > 0 && (
          <VirtualTable
            testId="qd-excluded"
            caption="Excluded"
            columns={['Version', 'Why']}
            items={data.excluded}
            row={(e) => ({
              key: e.version.id,
              attributes: { 'data-version-id': e.version.id },
              cells: [
                <Link to={paths.version(e.version.dataset.slug, e.version.version)}>{label(e.version)}</Link>,
                e.reason,
              ],
            })}
          />
        )}
      </div>
      {compared.length > 0 && <Comparison versions={compared} />}
    </>
  );
}

/** Height of one table row (px), for the virtualiser's first estimate; rows are measured. */
const ROW_HEIGHT = 31;

/**
 * A table whose body holds only the rows in view (TanStack Virtual), with spacer rows above and
 * below standing for the rest, so 10,000 versions cost as much as a screenful.
 */
function VirtualTable<T>({
  testId,
  caption,
  columns,
  numeric = [],
  items,
  row,
}: {
  testId: string;
  caption: string;
  columns: string[];
  numeric?: number[];
  items: T[];
  row: (item: T) => { key: string; attributes: Record<string, string>; cells: ReactNode[] };
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const shown = virtualizer.getVirtualItems();
  const before = shown[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (shown[shown.length - 1]?.end ?? 0);
  return (
    <div className="virtual-table" ref={scroller} data-testid={`${testId}-scroll`}>
      <table className="grid" data-testid={testId} data-rows={items.length}>
        <caption>
          {caption} <span className="sub">({formatNumber(items.length)})</span>
        </caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {before > 0 && <tr aria-hidden="true" style={{ height: before }} />}
          {shown.map((virtual) => {
            const { key, attributes, cells } = row(items[virtual.index]!);
            return (
              <tr key={key} {...attributes} data-index={virtual.index} ref={virtualizer.measureElement}>
                {cells.map((cell, i) => (
                  <td key={i} className={numeric.includes(i) ? 'num' : undefined}>
                    {cell}
                  </td>
                ))}
              </tr>
            );
          })}
          {after > 0 && <tr aria-hidden="true" style={{ height: after }} />}
        </tbody>
      </table>
    </div>
  );
}

interface ComparisonData {
  compareVersions: {
    metrics: string[];
    warnings: string[];
    rows: {
      version: { id: string; version: number; dataset: { slug: string } };
      cells: {
        metric: string;
        value: number | null;
        n: number | null;
        estimator: string | null;
        comparable: boolean;
        note: string | null;
      }[];
    }[];
  };
}

function Comparison({ versions }: { versions: string[] }) {
  const [state, setState] = useState<{ data?: ComparisonData; error?: Error }>({});
  const key = versions.join(',');
  useEffect(() => {
    let live = true;
    gql<ComparisonData>(COMPARE, { versions: key.split(',') }).then(
      (data) => live && setState({ data }),
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  if (state.error) return <ErrorView error={state.error} />;
  if (!state.data) return <Loading what="Comparing" />;
  const { metrics, rows, warnings } = state.data.compareVersions;
  return (
    <section className="comparison" data-testid="qd-compare">
      <h2>Comparison</h2>
      <div className="scroll-x">
        <table className="grid">
          <thead>
            <tr>
              <th>Version</th>
              {metrics.map((m) => (
                <th key={m}>{m}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.version.id}>
                <td>{label(row.version)}</td>
                {row.cells.map((cell) => (
                  <td
                    key={cell.metric}
                    className={`num ${cell.comparable ? '' : 'incomparable'}`}
                    title={cell.note ?? `${cell.estimator ?? ''} n=${cell.n ?? '–'}`}
                    data-comparable={cell.comparable}
                  >
                    {formatNumber(cell.value)}
                    {!cell.comparable && <span className="flag"> ≠</span>}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {warnings.length > 0 && (
        <ul className="warnings">
          {warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
