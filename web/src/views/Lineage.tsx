/**
 * Lineage graph around a version: cytoscape.js draws it, laid out by dagre (left to right, inputs
 * before outputs). Edges carry role, algorithm, generator model and parameters; nodes can be
 * coloured by a metric; clicking a node opens its version.
 */
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { useEffect, useRef } from 'react';
import { navigate, paths, replaceQuery, useLocation } from '../router';
import { formatNumber, Link, Query, useQuery } from '../ui';

cytoscape.use(dagre);

interface LineageVersion {
  id: string;
  version: number;
  sampleCount: number;
  dataset: { slug: string };
  metrics?: { value: number | null; status: string }[];
}

interface LineageData {
  lineage: {
    isPartial: boolean;
    root: LineageVersion;
    nodes: { degree: number; direction: string; truncated: boolean; version: LineageVersion }[];
    edges: {
      role: string;
      from: { id: string };
      to: { id: string };
      run: {
        generatorModel: string | null;
        params: unknown;
        algorithm: { key: string; name: string } | null;
      };
    }[];
  };
}

const LINEAGE = `query LineageGraph($input: LineageInput!, $metric: [String!], $withMetric: Boolean!) {
  lineage(input: $input) {
    isPartial
    root { ...V }
    nodes { degree direction truncated version { ...V } }
    edges { role from { id } to { id } run { generatorModel params algorithm { key name } } }
  }
}
fragment V on DatasetVersion {
  id version sampleCount dataset { slug }
  metrics(keys: $metric) @include(if: $withMetric) { value status }
}`;

const DEFINITIONS = `{ metricDefinitions { key } }`;

export function edgeLabel(edge: LineageData['lineage']['edges'][number]): string {
  const parts = [edge.role];
  if (edge.run.algorithm) parts.push(edge.run.algorithm.key);
  if (edge.run.generatorModel) parts.push(edge.run.generatorModel);
  const params = JSON.stringify(edge.run.params);
  if (params && params !== '{}') parts.push(params.length > 60 ? `${params.slice(0, 57)}…` : params);
  return parts.join('\n');
}

function valueOf(version: LineageVersion): number | null {
  const result = version.metrics?.find((m) => m.value !== null);
  return result?.value ?? null;
}

export default function LineagePage({ versionId }: { versionId: string }) {
  const { query } = useLocation();
  const direction = query.get('direction') ?? 'BOTH';
  const depth = Number(query.get('depth') ?? 3);
  const maxNodes = Number(query.get('maxNodes') ?? 100);
  const metric = query.get('metric') ?? '';
  const state = useQuery<LineageData>(LINEAGE, {
    input: { version: versionId, direction, depth, maxNodes },
    metric: metric ? [metric] : null,
    withMetric: !!metric,
  });
  const definitions = useQuery<{ metricDefinitions: { key: string }[] }>(DEFINITIONS);
  return (
    <div className="lineage-page">
      <h1>Lineage</h1>
      <form className="controls" onSubmit={(event) => event.preventDefault()}>
        <label>
          direction{' '}
          <select
            name="direction"
            value={direction}
            onChange={(e) => replaceQuery({ direction: e.target.value })}
          >
            <option value="UPSTREAM">upstream</option>
            <option value="DOWNSTREAM">downstream</option>
            <option value="BOTH">both</option>
          </select>
        </label>
        <label>
          depth{' '}
          <input
            name="depth"
            type="number"
            min={1}
            max={10}
            value={depth}
            onChange={(e) => replaceQuery({ depth: e.target.value })}
          />
        </label>
        <label>
          max nodes{' '}
          <input
            name="maxNodes"
            type="number"
            min={1}
            max={1000}
            value={maxNodes}
            onChange={(e) => replaceQuery({ maxNodes: e.target.value })}
          />
        </label>
        <label>
          colour by{' '}
          <select name="metric" value={metric} onChange={(e) => replaceQuery({ metric: e.target.value })}>
            <option value="">dataset</option>
            {definitions.data?.metricDefinitions.map((d) => (
              <option key={d.key} value={d.key}>
                {d.key}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Query state={state} notFound={() => null}>
        {(data) => <Graph data={data} metric={metric} />}
      </Query>
    </div>
  );
}

function Graph({ data, metric }: { data: LineageData; metric: string }) {
  const container = useRef<HTMLDivElement>(null);
  const { lineage } = data;
  const all = [{ version: lineage.root, degree: 0, truncated: false, direction: 'ROOT' }, ...lineage.nodes];
  const values = all.map((n) => valueOf(n.version)).filter((v): v is number => v !== null);
  const min = Math.min(...values);
  const max = Math.max(...values);
  useEffect(() => {
    if (!container.current) return;
    const elements: ElementDefinition[] = [
      ...all.map((node) => {
        const value = valueOf(node.version);
        return {
          data: {
            id: node.version.id,
            label: `${node.version.dataset.slug} v${node.version.version}${metric && value !== null ? `\n${formatNumber(value, 3)}` : ''}`,
            value: value ?? undefined,
          },
          classes: [
            node.degree === 0 ? 'root' : '',
            node.truncated ? 'truncated' : '',
            metric ? (value === null ? 'no-value' : 'valued') : '',
          ].join(' '),
        };
      }),
      ...lineage.edges.map((edge, i) => ({
        data: { id: `e${i}`, source: edge.from.id, target: edge.to.id, label: edgeLabel(edge) },
      })),
    ];
    const cy: Core = cytoscape({
      container: container.current,
      elements,
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            'text-wrap': 'wrap',
            'text-valign': 'center',
            'font-size': 11,
            shape: 'round-rectangle',
            width: 130,
            height: 40,
            'background-color': '#dbe9f6',
            'border-width': 1,
            'border-color': '#5b7fa6',
          },
        },
        {
          selector: 'node.valued',
          style: {
            'background-color': values.length
              ? max > min
                ? `mapData(value, ${min}, ${max}, #fde0c5, #b2182b)`
                : '#d6604d'
              : '#dbe9f6',
          },
        },
        { selector: 'node.no-value', style: { 'background-color': '#eeeeee', color: '#888' } },
        { selector: 'node.root', style: { 'border-width': 3, 'border-color': '#1f4e79' } },
        {
          selector: 'node.truncated',
          style: { 'border-style': 'dashed', 'border-color': '#c0392b', 'border-width': 2 },
        },
        {
          selector: 'edge',
          style: {
            label: 'data(label)',
            'font-size': 9,
            'curve-style': 'bezier',
            'target-arrow-shape': 'triangle',
            'line-color': '#8aa',
            'target-arrow-color': '#8aa',
            'text-background-color': '#fff',
            'text-background-opacity': 0.85,
            'text-background-padding': '2px',
            'text-wrap': 'wrap',
            'text-max-width': '150px',
          },
        },
      ],
      layout: { name: 'dagre', rankDir: 'LR', nodeSep: 30, rankSep: 200 } as cytoscape.LayoutOptions,
    });
    cy.on('tap', 'node', (event) => {
      const node = all.find((n) => n.version.id === event.target.id());
      if (node) navigate(paths.version(node.version.dataset.slug, node.version.version));
    });
    return () => cy.destroy();
    // The graph is rebuilt whenever the answer changes.
  }, [data, metric]);
  return (
    <>
      <p className="count" data-testid="lineage-summary">
        {all.length} versions, {lineage.edges.length} edges
        {lineage.isPartial && (
          <strong className="partial" data-testid="lineage-partial">
            {' '}
            · partial: depth or max nodes left versions out (dashed nodes have more)
          </strong>
        )}
        {metric && values.length > 0 && (
          <span>
            {' '}
            · {metric}: {formatNumber(min, 3)} (light) to {formatNumber(max, 3)} (dark)
          </span>
        )}
      </p>
      <div className="graph" ref={container} data-testid="lineage-graph" />
      <details open>
        <summary>Nodes and edges</summary>
        <table className="grid" data-testid="lineage-nodes">
          <thead>
            <tr>
              <th>Version</th>
              <th>Degree</th>
              <th>Direction</th>
              <th>Truncated</th>
              {metric && <th>{metric}</th>}
            </tr>
          </thead>
          <tbody>
            {all.map((node) => (
              <tr key={node.version.id} data-version-id={node.version.id} data-truncated={node.truncated}>
                <td>
                  <Link to={paths.version(node.version.dataset.slug, node.version.version)}>
                    {node.version.dataset.slug} v{node.version.version}
                  </Link>
                </td>
                <td className="num">{node.degree}</td>
                <td>{node.direction.toLowerCase()}</td>
                <td>{node.truncated ? 'yes' : ''}</td>
                {metric && <td className="num">{formatNumber(valueOf(node.version))}</td>}
              </tr>
            ))}
          </tbody>
        </table>
        <table className="grid" data-testid="lineage-edges">
          <thead>
            <tr>
              <th>From</th>
              <th>To</th>
              <th>Label</th>
            </tr>
          </thead>
          <tbody>
            {lineage.edges.map((edge, i) => {
              const name = (id: string) => {
                const v = all.find((n) => n.version.id === id)?.version;
                return v ? `${v.dataset.slug} v${v.version}` : id;
              };
              return (
                <tr key={i}>
                  <td>{name(edge.from.id)}</td>
                  <td>{name(edge.to.id)}</td>
                  <td className="edge-label">{edgeLabel(edge).replace(/\n/g, ' · ')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
    </>
  );
}
