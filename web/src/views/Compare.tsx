/**
 * Version compare: two versions side by side through `Query.versionDiff`: samples added, removed
 * and kept by content hash (counted and paged by the server), metric deltas, and per-sample score
 * histograms of both versions on shared bin edges.
 */
import * as Plot from '@observablehq/plot';
import { useEffect, useRef, useState } from 'react';
import { paths } from '../router';
import { ErrorView, formatNumber, Link, Loading, Pager, Query, useCursorPages, useQuery } from '../ui';
import { SampleCard } from './Samples';

const SAMPLE_FIELDS = 'id ordinal prompt response reference messages { role content } metadata';

const DIFF = `query VersionDiff($base: ID!, $head: ID!) {
  versionDiff(base: $base, head: $head) {
    base { ...DiffSide }
    head { ...DiffSide }
    addedCount removedCount keptCount
    metricDeltas {
      metric delta relativeDelta comparable note
      baseResult { value status } headResult { value status }
    }
  }
}
fragment DiffSide on DatasetVersion {
  id version sampleCount dataset { slug name }
  metrics { metric status definition { sampleValue } }
}`;

const LIST = `query VersionDiffList($base: ID!, $head: ID!, $first: Int, $after: String, $removed: Boolean!) {
  versionDiff(base: $base, head: $head) {
    added(first: $first, after: $after) @skip(if: $removed) {
      pageInfo { hasNextPage endCursor } edges { node { ${SAMPLE_FIELDS} } }
    }
    removed(first: $first, after: $after) @include(if: $removed) {
      pageInfo { hasNextPage endCursor } edges { node { ${SAMPLE_FIELDS} } }
    }
  }
}`;

const HISTOGRAMS = `query VersionDiffHistograms($base: ID!, $head: ID!, $metric: String!) {
  versionDiff(base: $base, head: $head) {
    scoreHistograms(metric: $metric, bins: 24) { edges base { counts total } head { counts total } }
  }
}`;

const LIST_PAGE = 20;

interface Side {
  id: string;
  version: number;
  sampleCount: number;
  dataset: { slug: string; name: string };
  metrics: { metric: string; status: string; definition: { sampleValue: string | null } | null }[];
}

interface DiffData {
  versionDiff: {
    base: Side;
    head: Side;
    addedCount: number;
    removedCount: number;
    keptCount: number;
    metricDeltas: {
      metric: string;
      delta: number | null;
      relativeDelta: number | null;
      comparable: boolean;
      note: string | null;
      baseResult: { value: number | null; status: string } | null;
      headResult: { value: number | null; status: string } | null;
    }[];
  };
}

type SampleNode = Parameters<typeof SampleCard>[0]['sample'];
interface ListPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: SampleNode }[];
}

/** Metric keys with per-sample values (finished) on a version. */
function scoredMetrics(side: Side): string[] {
  return side.metrics
    .filter(
      (m) =>
        (m.status === 'COMPLETE' || m.status === 'PARTIAL') &&
        (m.definition ? m.definition.sampleValue : true),
    )
    .map((m) => m.metric);
}

const label = (side: Side) => `${side.dataset.slug} v${side.version}`;

export default function ComparePage({ base, head }: { base: string | null; head: string | null }) {
  const state = useQuery<DiffData>(DIFF, { base, head }, { skip: !base || !head });
  if (!base || !head) {
    return (
      <p className="empty">
        Choose two versions to compare: open a version and pick one under “Compare with”, or follow a parent’s
        “diff” link.
      </p>
    );
  }
  return <Query state={state}>{(data) => <Diff base={base} head={head} diff={data.versionDiff} />}</Query>;
}

function Diff({ base, head, diff }: { base: string; head: string; diff: DiffData['versionDiff'] }) {
  const headScored = new Set(scoredMetrics(diff.head));
  const histogramMetrics = [...new Set(scoredMetrics(diff.base))].filter((m) => headScored.has(m));
  const [metric, setMetric] = useState(histogramMetrics[0] ?? '');
  return (
    <div className="compare-page">
      <h1>
        <Link to={paths.version(diff.base.dataset.slug, diff.base.version)}>{label(diff.base)}</Link> →{' '}
        <Link to={paths.version(diff.head.dataset.slug, diff.head.version)}>{label(diff.head)}</Link>
      </h1>
      <p className="sub">
        Samples are matched by content hash. <Link to={paths.compare(head, base)}>Swap sides</Link>
      </p>
      <dl className="facts diff-counts" data-testid="diff-counts">
        <dt>{label(diff.base)}</dt>
        <dd>{formatNumber(diff.base.sampleCount)} samples</dd>
        <dt>{label(diff.head)}</dt>
        <dd>{formatNumber(diff.head.sampleCount)} samples</dd>
        <dt>Added</dt>
        <dd className="up" data-count="added">
          {formatNumber(diff.addedCount)}
        </dd>
        <dt>Removed</dt>
        <dd className="down" data-count="removed">
          {formatNumber(diff.removedCount)}
        </dd>
        <dt>Kept</dt>
        <dd data-count="kept">{formatNumber(diff.keptCount)}</dd>
      </dl>
      <DeltaTable rows={diff.metricDeltas} />
      <section className="diff-histograms">
        <h2>Per-sample scores</h2>
        {histogramMetrics.length === 0 ? (
          <p className="empty">No metric has per-sample values on both versions.</p>
        ) : (
          <>
            <label>
              metric{' '}
              <select name="histogram-metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
                {histogramMetrics.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
            <PairedHistogram
              base={base}
              head={head}
              metric={metric}
              baseLabel={label(diff.base)}
              headLabel={label(diff.head)}
            />
          </>
        )}
      </section>
      <div className="diff-lists">
        <DiffList base={base} head={head} removed={false} title={`Added in ${label(diff.head)}`} />
        <DiffList base={base} head={head} removed title={`Removed from ${label(diff.base)}`} />
      </div>
    </div>
  );
}

function DeltaTable({ rows }: { rows: DiffData['versionDiff']['metricDeltas'] }) {
  if (rows.length === 0) return <p className="empty">Neither version has metric results.</p>;
  return (
    <table className="grid" data-testid="diff-deltas">
      <caption>Metric deltas (head − base)</caption>
      <thead>
        <tr>
          <th>Metric</th>
          <th>Base</th>
          <th>Head</th>
          <th>Δ</th>
          <th>Δ %</th>
          <th>Comparable</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.metric} data-metric={row.metric}>
            <td>{row.metric}</td>
            <td className="num" data-value={row.baseResult?.value ?? ''}>
              {formatNumber(row.baseResult?.value)}
            </td>
            <td className="num" data-value={row.headResult?.value ?? ''}>
              {formatNumber(row.headResult?.value)}
            </td>
            <td
              className={`num delta ${row.delta === null ? '' : row.delta < 0 ? 'down' : 'up'}`}
              data-value={row.delta ?? ''}
            >
              {row.delta === null ? '–' : `${row.delta > 0 ? '+' : ''}${formatNumber(row.delta)}`}
            </td>
            <td className="num">
              {row.relativeDelta === null ? '–' : `${formatNumber(row.relativeDelta * 100, 1)}%`}
            </td>
            <td>
              {row.comparable ? 'yes' : 'no'}
              {row.note && <div className="sub reason">{row.note}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface PairedData {
  versionDiff: {
    scoreHistograms: {
      edges: number[];
      base: { counts: number[]; total: number };
      head: { counts: number[]; total: number };
    };
  };
}

const BASE_COLOUR = '#9aa5b1';
const HEAD_COLOUR = '#4c78a8';

/** Both versions' counts per bin, side by side within each bin, and the same numbers as a table. */
function PairedHistogram({
  base,
  head,
  metric,
  baseLabel,
  headLabel,
}: {
  base: string;
  head: string;
  metric: string;
  baseLabel: string;
  headLabel: string;
}) {
  const state = useQuery<PairedData>(HISTOGRAMS, { base, head, metric });
  const container = useRef<HTMLDivElement>(null);
  const histogram = state.data?.versionDiff.scoreHistograms;
  useEffect(() => {
    if (!histogram || !container.current) return;
    const bars = histogram.edges.slice(0, -1).flatMap((x1, i) => {
      const x2 = histogram.edges[i + 1]!;
      const mid = (x1 + x2) / 2;
      return [
        { side: baseLabel, x1, x2: mid, count: histogram.base.counts[i]!, from: x1, to: x2 },
        { side: headLabel, x1: mid, x2, count: histogram.head.counts[i]!, from: x1, to: x2 },
      ];
    });
    const chart = Plot.plot({
      width: 720,
      height: 220,
      marginLeft: 50,
      x: { label: metric },
      y: { label: 'samples', grid: true },
      color: { domain: [baseLabel, headLabel], range: [BASE_COLOUR, HEAD_COLOUR], legend: true },
      marks: [
        Plot.rectY(bars, {
          x1: 'x1',
          x2: 'x2',
          y: 'count',
          fill: 'side',
          insetLeft: 0.5,
          insetRight: 0.5,
          title: (b: (typeof bars)[number]) =>
            `${b.side}, ${formatNumber(b.from)} – ${formatNumber(b.to)}: ${b.count}`,
        }),
        Plot.ruleY([0]),
      ],
    });
    container.current.replaceChildren(chart);
    return () => chart.remove();
  }, [histogram, baseLabel, headLabel, metric]);
  if (state.error) return <ErrorView error={state.error} retry={state.reload} />;
  if (!histogram) return <Loading />;
  return (
    <div className="paired-histogram" data-metric={metric}>
      <div ref={container} />
      <details>
        <summary>
          Counts per bin ({formatNumber(histogram.base.total)} vs {formatNumber(histogram.head.total)}{' '}
          samples)
        </summary>
        <table className="grid" data-testid="diff-histogram">
          <thead>
            <tr>
              <th>From</th>
              <th>To</th>
              <th>{baseLabel}</th>
              <th>{headLabel}</th>
            </tr>
          </thead>
          <tbody>
            {histogram.base.counts.map((count, i) => (
              <tr key={i}>
                <td className="num">{formatNumber(histogram.edges[i])}</td>
                <td className="num">{formatNumber(histogram.edges[i + 1])}</td>
                <td className="num" data-side="base">
                  {count}
                </td>
                <td className="num" data-side="head">
                  {histogram.head.counts[i]}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

/** One side's samples (added or removed), paged by the server's keyset cursors. */
function DiffList({
  base,
  head,
  removed,
  title,
}: {
  base: string;
  head: string;
  removed: boolean;
  title: string;
}) {
  const pages = useCursorPages();
  const state = useQuery<{ versionDiff: { added?: ListPage; removed?: ListPage } }>(LIST, {
    base,
    head,
    removed,
    first: LIST_PAGE,
    after: pages.after,
  });
  const which = removed ? 'removed' : 'added';
  return (
    <section className="diff-list" data-testid={`diff-${which}`}>
      <h2>{title}</h2>
      <Query state={state}>
        {(data) => {
          const page = data.versionDiff[which]!;
          return (
            <>
              {page.edges.length === 0 && <p className="empty">none</p>}
              {page.edges.map(({ node }) => (
                <SampleCard key={node.id} sample={node} />
              ))}
              <Pager pages={pages} pageInfo={page.pageInfo} label={which} />
            </>
          );
        }}
      </Query>
    </section>
  );
}
