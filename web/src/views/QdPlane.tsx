/**
 * The quality x diversity plane: versions on two metrics (Observable Plot), the Pareto frontier
 * from `paretoFrontier`, excluded versions with why, lineage arrows, and a comparison table.
 */
import * as Plot from '@observablehq/plot';
import { useEffect, useRef, useState } from 'react';
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

/** Most dots that each get a text label; beyond it only frontier dots are labelled. */
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
  const byId = new Map(data.points.map((p) => [p.version.id, p]));
  const links = arrows
    ? data.points.flatMap((child) =>
        child.version.parents
          .filter((p) => byId.has(p.version.id))
          .map((p) => ({ from: byId.get(p.version.id)!, to: child, role: p.role })),
      )
    : [];
  useEffect(() => {
    if (!container.current) return;
    const frontier = [...data.frontier].sort((a, b) => a.x - b.x);
    const chart = Plot.plot({
      width: Math.min(900, container.current.clientWidth || 900),
      height: 480,
      grid: true,
      inset: 20,
      x: { label: `${x} (${data.xDirection === 'LOWER_IS_BETTER' ? '← better' : 'better →'})` },
      y: { label: `${y} (${data.yDirection === 'LOWER_IS_BETTER' ? '↓ better' : '↑ better'})` },
      color: { domain: ['frontier', 'dominated'], range: ['#d62728', '#6b8fb5'], legend: true },
      marks: [
        Plot.line(frontier, { x: 'x', y: 'y', stroke: '#d62728', strokeDasharray: '4 3' }),
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
        Plot.dot(data.points, {
          x: 'x',
          y: 'y',
          r: 6,
          fill: (p: Point) => (p.onFrontier ? 'frontier' : 'dominated'),
          stroke: 'white',
          href: (p: Point) => paths.version(p.version.dataset.slug, p.version.version),
          title: (p: Point) =>
            `${label(p.version)}\n${x} = ${formatNumber(p.x)}\n${y} = ${formatNumber(p.y)}`,
        }),
        // A label per dot is unreadable (and slow) past a few hundred: then only the frontier's.
        Plot.text(data.points.length > MAX_LABELS ? data.points.filter((p) => p.onFrontier) : data.points, {
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
      if (href) {
        event.preventDefault();
        navigate(href);
      }
    });
    container.current.replaceChildren(chart);
    return () => chart.remove();
  }, [data, x, y, links.length]);
  const compared = chosen ?? data.frontier.map((f) => f.version.id);
  const toggle = (id: string) =>
    setChosen(compared.includes(id) ? compared.filter((c) => c !== id) : [...compared, id]);
  return (
    <>
      <p className="count" data-testid="qd-summary">
        {data.points.length} versions placed, {data.frontier.length} on the frontier, {data.excluded.length}{' '}
        excluded
      </p>
      <div className="plot" ref={container} data-testid="qd-plot" />
      <div className="qd-tables">
        <table className="grid" data-testid="qd-points">
          <caption>Versions (tick to compare)</caption>
          <thead>
            <tr>
              <th />
              <th>Version</th>
              <th>{x}</th>
              <th>{y}</th>
              <th>Frontier</th>
            </tr>
          </thead>
          <tbody>
            {data.points.map((p) => (
              <tr key={p.version.id} data-version-id={p.version.id} data-frontier={p.onFrontier}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`compare ${label(p.version)}`}
                    checked={compared.includes(p.version.id)}
                    onChange={() => toggle(p.version.id)}
                  />
                </td>
                <td>
                  <Link to={paths.version(p.version.dataset.slug, p.version.version)}>
                    {label(p.version)}
                  </Link>
                </td>
                <td className="num">{formatNumber(p.x)}</td>
                <td className="num">{formatNumber(p.y)}</td>
                <td>{p.onFrontier ? 'yes' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {data.excluded.length > 0 && (
          <table className="grid" data-testid="qd-excluded">
            <caption>Excluded</caption>
            <thead>
              <tr>
                <th>Version</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {data.excluded.map((e) => (
                <tr key={e.version.id}>
                  <td>
                    <Link to={paths.version(e.version.dataset.slug, e.version.version)}>
                      {label(e.version)}
                    </Link>
                  </td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {compared.length > 0 && <Comparison versions={compared} />}
    </>
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
