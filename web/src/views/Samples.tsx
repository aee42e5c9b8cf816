/**
 * Sample browser: a version's samples, keyset-paged as the user scrolls and drawn by a
 * virtualised list (only the rows in view exist in the DOM), with per-sample score columns,
 * sort and range filters, faceted histograms, semantic search and similar samples.
 */
import type * as Plot from '@observablehq/plot';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { gql } from '../api';
import { fetchBinary } from '../binary';
import { paths, replaceQuery, useLocation } from '../router';
import { ErrorView, formatNumber, Link, Loading, Query, useQuery } from '../ui';

interface SampleView {
  id: string;
  ordinal: number;
  prompt: string | null;
  response: string | null;
  reference: string | null;
  messages: { role: string; content: string }[] | null;
  metadata: unknown;
}

interface Row {
  ordinal: number;
  scores: (number | null)[];
  sample: SampleView;
}

interface Range {
  metric: string;
  min?: number;
  max?: number;
}

const SAMPLE_FIELDS = 'id ordinal prompt response reference messages { role content } metadata';

/** The version and what the controls need (src/http/firstView.ts has the same text). */
const VERSION = `query SampleBrowserVersion($id: ID!) {
  version(id: $id) {
    id version sampleCount dataset { slug name }
    metrics { metric status definition { sampleValue } }
    embeddings { embedded space { key } }
  }
}`;

/** The first page in plain ordinal order, asked for beside VERSION (and answered in the page). */
const FIRST_ROWS = `query SampleBrowserFirstRows($id: ID!, $first: Int) {
  version(id: $id) {
    id version sampleCount dataset { slug name }
    firstRows: sampleRows(first: $first) {
      pageInfo { hasNextPage endCursor }
      edges { node { ordinal scores sample { ${SAMPLE_FIELDS} } } }
    }
  }
}`;

const ROWS = `query SampleRows($id: ID!, $first: Int, $after: String, $columns: [String!], $orderBy: SampleRowOrder, $ranges: [ScoreRangeInput!]) {
  version(id: $id) {
    sampleRows(first: $first, after: $after, columns: $columns, orderBy: $orderBy, ranges: $ranges) {
      pageInfo { hasNextPage endCursor }
      edges { node { ordinal scores sample { ${SAMPLE_FIELDS} } } }
    }
  }
}`;

const HISTOGRAM = `query ScoreHistogram($id: ID!, $metric: String!, $ranges: [ScoreRangeInput!]) {
  version(id: $id) { scoreHistogram(metric: $metric, bins: 24, ranges: $ranges) { edges counts total } }
}`;

const SEARCH = `query SearchSamples($query: String!, $scope: SampleSearchScope) {
  searchSamples(query: $query, k: 20, scope: $scope) {
    exact space { key }
    hits { similarity sample { ${SAMPLE_FIELDS} } }
  }
}`;

const SIMILAR = `query SimilarSamples($sample: ID!, $scope: SampleSearchScope) {
  similarSamples(sample: $sample, k: 10, scope: $scope) {
    exact space { key }
    hits { similarity sample { ${SAMPLE_FIELDS} } }
  }
}`;

export const PAGE_SIZE = 200;

interface VersionData {
  version: {
    id: string;
    version: number;
    sampleCount: number;
    dataset: { slug: string; name: string };
    metrics: { metric: string; status: string; definition: { sampleValue: string | null } | null }[];
    embeddings: { embedded: number; space: { key: string } }[];
    firstRows?: RowsData['version']['sampleRows'];
  } | null;
}

function parseRanges(text: string | null): Range[] {
  if (!text) return [];
  return text.split(';').flatMap((part) => {
    // metric:min:max, where the metric may hold colons itself (external:<scorer>).
    const pieces = part.split(':');
    if (pieces.length < 3) return [];
    const max = pieces.pop();
    const min = pieces.pop();
    const metric = pieces.join(':');
    if (!metric) return [];
    const range: Range = { metric };
    if (min) range.min = Number(min);
    if (max) range.max = Number(max);
    return [range];
  });
}

function formatRanges(ranges: Range[]): string {
  return ranges.map((r) => `${r.metric}:${r.min ?? ''}:${r.max ?? ''}`).join(';');
}

export default function SamplesPage({ versionId }: { versionId: string }) {
  const { query } = useLocation();
  // In plain ordinal order (no score columns, sort or filter) the first page is asked for beside
  // the version, not after it. If it fails, the list asks again (and shows the error).
  const plain = !query.get('columns') && !query.get('sort') && !query.get('ranges');
  const [withRows] = useState(plain);
  const state = useQuery<VersionData>(VERSION, { id: versionId });
  const rows = useQuery<{ version: { firstRows: RowsData['version']['sampleRows'] } | null }>(
    FIRST_ROWS,
    { id: versionId, first: PAGE_SIZE },
    { skip: !withRows },
  );
  const waiting = withRows && !rows.data && !rows.error;
  return (
    <Query
      state={waiting ? { ...state, data: null } : state}
      notFound={(data) => (data.version ? null : `No version has the id “${versionId}”.`)}
    >
      {(data) => <Browser version={{ ...data.version!, firstRows: rows.data?.version?.firstRows }} />}
    </Query>
  );
}

function Browser({ version }: { version: NonNullable<VersionData['version']> }) {
  const { query } = useLocation();
  const scored = [
    ...new Set(
      version.metrics
        .filter(
          (m) =>
            (m.status === 'COMPLETE' || m.status === 'PARTIAL') &&
            (m.definition ? m.definition.sampleValue : true),
        )
        .map((m) => m.metric),
    ),
  ];
  const columns = (query.get('columns') ?? '').split(',').filter((c) => scored.includes(c));
  const sort = query.get('sort') ?? '';
  const descending = query.get('desc') === '1';
  const ranges = parseRanges(query.get('ranges')).filter((r) => scored.includes(r.metric));
  const setColumns = (next: string[]) => replaceQuery({ columns: next.join(',') || null });
  const setRange = (range: Range) =>
    replaceQuery({
      ranges:
        formatRanges(
          [...ranges.filter((r) => r.metric !== range.metric), range].filter(
            (r) => r.min !== undefined || r.max !== undefined,
          ),
        ) || null,
    });

  return (
    <div className="samples-page">
      <h1>
        Samples of{' '}
        <Link to={paths.version(version.dataset.slug, version.version)}>
          {version.dataset.slug} v{version.version}
        </Link>
      </h1>
      <p className="count">{formatNumber(version.sampleCount)} samples</p>
      <div className="controls">
        <fieldset>
          <legend>Score columns</legend>
          {scored.length === 0 && (
            <span className="sub">no per-sample scores yet (compute metrics on the version page)</span>
          )}
          {scored.map((metric) => (
            <label key={metric}>
              <input
                type="checkbox"
                name="column"
                value={metric}
                checked={columns.includes(metric)}
                onChange={(e) =>
                  setColumns(e.target.checked ? [...columns, metric] : columns.filter((c) => c !== metric))
                }
              />{' '}
              {metric}
            </label>
          ))}
        </fieldset>
        <label>
          sort{' '}
          <select name="sort" value={sort} onChange={(e) => replaceQuery({ sort: e.target.value || null })}>
            <option value="">ordinal</option>
            {scored.map((metric) => (
              <option key={metric} value={metric}>
                {metric}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            name="desc"
            checked={descending}
            onChange={(e) => replaceQuery({ desc: e.target.checked ? '1' : null })}
          />{' '}
          largest first
        </label>
      </div>
      {columns.length > 0 && (
        <div className="histograms">
          {columns.map((metric) => (
            <Facet key={metric} versionId={version.id} metric={metric} ranges={ranges} onRange={setRange} />
          ))}
        </div>
      )}
      <ExportSelection
        versionId={version.id}
        name={`${version.dataset.slug}-v${version.version}`}
        columns={columns}
        orderBy={sort ? { metric: sort, descending } : null}
        ranges={ranges}
      />
      <SemanticSearch version={version} ranges={ranges} />
      <SampleList
        key={`${columns.join(',')}|${sort}|${descending}|${formatRanges(ranges)}`}
        initial={!columns.length && !sort && !ranges.length ? version.firstRows : undefined}
        versionId={version.id}
        columns={columns}
        orderBy={sort ? { metric: sort, descending } : null}
        ranges={ranges}
      />
    </div>
  );
}

/** One score's histogram (under the other filters) and its range inputs; a bar click selects its bin. */
function Facet({
  versionId,
  metric,
  ranges,
  onRange,
}: {
  versionId: string;
  metric: string;
  ranges: Range[];
  onRange: (range: Range) => void;
}) {
  const others = ranges.filter((r) => r.metric !== metric);
  const own = ranges.find((r) => r.metric === metric) ?? { metric };
  const state = useQuery<{
    version: { scoreHistogram: { edges: number[]; counts: number[]; total: number } };
  }>(HISTOGRAM, {
    id: versionId,
    metric,
    ranges: others,
  });
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const histogram = state.data?.version.scoreHistogram;
    if (!histogram || !container.current) return;
    const bins = histogram.counts.map((count, i) => ({
      x1: histogram.edges[i]!,
      x2: histogram.edges[i + 1]!,
      count,
      selected:
        (own.min === undefined || histogram.edges[i + 1]! >= own.min) &&
        (own.max === undefined || histogram.edges[i]! <= own.max),
    }));
    // Plot is loaded with the first histogram, not with the rows (it is most of the view's code).
    let live = true;
    let chart: ReturnType<typeof Plot.plot> | null = null;
    void import('../histogramPlot').then((Plot) => {
      if (!live || !container.current) return;
      chart = Plot.plot({
        width: 300,
        height: 110,
        marginLeft: 40,
        x: { label: null },
        y: { label: null, grid: true },
        marks: [
          Plot.rectY(bins, {
            x1: 'x1',
            x2: 'x2',
            y: 'count',
            fill: (b: (typeof bins)[number]) => (b.selected ? '#4c78a8' : '#c9d6e6'),
            title: (b: (typeof bins)[number]) => `${formatNumber(b.x1)} – ${formatNumber(b.x2)}: ${b.count}`,
            insetLeft: 0.5,
            insetRight: 0.5,
          }),
          Plot.ruleY([0]),
        ],
      });
      let dragged = false;
      chart.querySelectorAll('rect').forEach((rect, i) => {
        const bin = bins[i];
        if (!bin) return;
        rect.style.cursor = 'pointer';
        rect.addEventListener('click', () => {
          if (!dragged) onRange({ metric, min: bin.x1, max: bin.x2 });
        });
      });
      brush(chart, (lo, hi) => {
        dragged = true;
        setTimeout(() => (dragged = false), 0);
        const first = histogram.edges[0]!;
        const last = histogram.edges[histogram.edges.length - 1]!;
        onRange({ metric, min: Math.max(first, lo), max: Math.min(last, hi) });
      });
      container.current.replaceChildren(chart);
    });
    return () => {
      live = false;
      chart?.remove();
    };
  }, [state.data, own.min, own.max]);
  return (
    <div className="facet" data-metric={metric}>
      <div className="facet-title">
        {metric}
        {state.data && (
          <span className="sub"> · {formatNumber(state.data.version.scoreHistogram.total)} samples</span>
        )}
      </div>
      {state.error ? <ErrorView error={state.error} retry={state.reload} /> : <div ref={container} />}
      <div className="range">
        <input
          name={`min:${metric}`}
          type="number"
          step="any"
          placeholder="min"
          defaultValue={own.min ?? ''}
          key={`min${own.min}`}
          onBlur={(e) => onRange({ ...own, min: e.target.value === '' ? undefined : Number(e.target.value) })}
        />
        –
        <input
          name={`max:${metric}`}
          type="number"
          step="any"
          placeholder="max"
          defaultValue={own.max ?? ''}
          key={`max${own.max}`}
          onBlur={(e) => onRange({ ...own, max: e.target.value === '' ? undefined : Number(e.target.value) })}
        />
        {(own.min !== undefined || own.max !== undefined) && (
          <button type="button" onClick={() => onRange({ metric })}>
            clear
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * Drag across a histogram to select a range (a brush): the x scale of the Plot chart turns the
 * dragged pixels back into score values; a shaded band follows the pointer while dragging. A
 * press that moves less than 3 px is left to the bars' click.
 */
function brush(chart: ReturnType<typeof Plot.plot>, onBrush: (lo: number, hi: number) => void) {
  const x = chart.scale('x');
  const svg = chart instanceof SVGSVGElement ? chart : chart.querySelector('svg');
  if (!x?.invert || !svg) return;
  const band = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  band.setAttribute('class', 'brush');
  band.setAttribute('y', '0');
  band.setAttribute('height', String(svg.getAttribute('height') ?? 110));
  band.style.display = 'none';
  svg.append(band);
  let start: number | null = null;
  const offset = (event: PointerEvent) => event.clientX - svg.getBoundingClientRect().left;
  const show = (a: number, b: number) => {
    band.setAttribute('x', String(Math.min(a, b)));
    band.setAttribute('width', String(Math.abs(b - a)));
    band.style.display = '';
  };
  svg.addEventListener('pointerdown', (event) => {
    start = offset(event);
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (start !== null) show(start, offset(event));
  });
  svg.addEventListener('pointerup', (event) => {
    if (start === null) return;
    const end = offset(event);
    const from = start;
    start = null;
    band.style.display = 'none';
    if (Math.abs(end - from) < 3) return;
    const [lo, hi] = [x.invert!(Math.min(from, end)) as number, x.invert!(Math.max(from, end)) as number];
    onBrush(lo, hi);
  });
}

/** Most rows one export writes; larger selections are cut there (say so). */
export const EXPORT_LIMIT = 100_000;

/** "Export this selection": every row the filters keep, in the shown order, as JSONL. */
function ExportSelection({
  versionId,
  name,
  columns,
  orderBy,
  ranges,
}: {
  versionId: string;
  name: string;
  columns: string[];
  orderBy: { metric: string; descending: boolean } | null;
  ranges: Range[];
}) {
  const [state, setState] = useState<{
    rows?: number;
    done?: boolean;
    cut?: boolean;
    parquet?: boolean;
    error?: Error;
  }>({});
  const run = async () => {
    const lines: string[] = [];
    let after: string | null = null;
    setState({ rows: 0 });
    try {
      for (;;) {
        const data: RowsData = await gql<RowsData>(ROWS, {
          id: versionId,
          first: PAGE_SIZE,
          after,
          columns,
          orderBy,
          ranges,
        });
        const page = data.version.sampleRows;
        for (const { node } of page.edges) {
          const { id: _id, ...sample } = node.sample;
          lines.push(
            JSON.stringify({
              ...sample,
              scores: Object.fromEntries(columns.map((c, i) => [c, node.scores[i] ?? null])),
            }),
          );
        }
        setState({ rows: lines.length });
        if (!page.pageInfo.hasNextPage || lines.length >= EXPORT_LIMIT) {
          const cut = page.pageInfo.hasNextPage;
          const url = URL.createObjectURL(
            new Blob([lines.join('\n') + '\n'], { type: 'application/x-ndjson' }),
          );
          const link = document.createElement('a');
          link.href = url;
          link.download = `${name}${ranges.length ? '-filtered' : ''}.jsonl`;
          link.click();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
          setState({ rows: lines.length, done: true, cut });
          return;
        }
        after = page.pageInfo.endCursor;
      }
    } catch (error) {
      setState({ error: error as Error });
    }
  };
  /** The bulk route's Parquet file (with the score columns), fetched with the session's key. */
  const parquet = async () => {
    setState({});
    try {
      const query = columns.length ? `?scores=${encodeURIComponent(columns.join(','))}` : '';
      const bytes = await fetchBinary(
        `/v1/versions/${encodeURIComponent(versionId)}/samples.parquet${query}`,
      );
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/vnd.apache.parquet' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `${name}.parquet`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ done: true, parquet: true });
    } catch (error) {
      setState({ error: error as Error });
    }
  };
  return (
    <div className="export">
      <button
        type="button"
        data-action="export"
        onClick={() => void run()}
        disabled={state.rows !== undefined && !state.done && !state.error}
      >
        Export this selection (JSONL)
      </button>{' '}
      {ranges.length === 0 && (
        <>
          <button
            type="button"
            data-action="export-parquet"
            onClick={() => void parquet()}
            title="The bulk export route writes the whole version in ordinal order (it takes no filters)"
          >
            Whole version as Parquet
          </button>{' '}
        </>
      )}
      {state.parquet && (
        <span className="sub" data-testid="export-status">
          Parquet file written
        </span>
      )}
      {state.rows !== undefined && (
        <span className="sub" data-testid="export-status">
          {formatNumber(state.rows)} rows{state.done ? ' written' : '…'}
          {state.cut ? ` (cut at ${formatNumber(EXPORT_LIMIT)})` : ''}
        </span>
      )}
      {state.error && <ErrorView error={state.error} />}
    </div>
  );
}

interface RowsData {
  version: {
    sampleRows: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Row }[] };
  };
}

function SampleList({
  versionId,
  columns,
  orderBy,
  ranges,
  initial,
}: {
  initial?: RowsData['version']['sampleRows'];
  versionId: string;
  columns: string[];
  orderBy: { metric: string; descending: boolean } | null;
  ranges: Range[];
}) {
  const [rows, setRows] = useState<Row[]>(() => initial?.edges.map((e) => e.node) ?? []);
  const [cursor, setCursor] = useState<string | null>(initial?.pageInfo.endCursor ?? null);
  const [done, setDone] = useState(initial ? !initial.pageInfo.hasNextPage : false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [similarTo, setSimilarTo] = useState<SampleView | null>(null);
  const loadingRef = useRef(false);
  const loadMore = useCallback(async () => {
    if (loadingRef.current || done) return;
    loadingRef.current = true;
    setLoading(true);
    try {
      const data = await gql<RowsData>(ROWS, {
        id: versionId,
        first: PAGE_SIZE,
        after: cursor,
        columns,
        orderBy,
        ranges,
      });
      const page = data.version.sampleRows;
      setRows((old) => [...old, ...page.edges.map((e) => e.node)]);
      setCursor(page.pageInfo.endCursor);
      setDone(!page.pageInfo.hasNextPage);
      setError(null);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  }, [cursor, done, versionId]);
  useEffect(() => {
    if (!initial) void loadMore();
  }, []);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length + (done ? 0 : 1),
    getScrollElement: () => scroller.current,
    estimateSize: () => 96,
    overscan: 6,
  });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last && last.index >= rows.length - 1 && !done && !error) void loadMore();
  }, [last?.index, rows.length, done, error, loadMore]);
  return (
    <>
      <div className="list-head">
        <span data-testid="rows-loaded">
          {formatNumber(rows.length)} rows loaded{done ? ' (end)' : ''}
        </span>
        {loading && <span className="sub"> loading…</span>}
        {error && <ErrorView error={error} retry={() => void loadMore()} />}
      </div>
      <div className="sample-scroller" ref={scroller} data-testid="sample-scroller">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index];
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className="sample-row"
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                {row ? (
                  <SampleCard
                    sample={row.sample}
                    scores={columns.map((metric, i) => [metric, row.scores[i] ?? null] as const)}
                    onSimilar={() => setSimilarTo(row.sample)}
                  />
                ) : (
                  <Loading what="Loading more" />
                )}
              </div>
            );
          })}
        </div>
      </div>
      {similarTo && <Similar sample={similarTo} versionId={versionId} onClose={() => setSimilarTo(null)} />}
    </>
  );
}

export function SampleCard({
  sample,
  scores = [],
  onSimilar,
  similarity,
}: {
  sample: SampleView;
  scores?: (readonly [string, number | null])[];
  onSimilar?: () => void;
  similarity?: number;
}) {
  return (
    <article className="sample" data-ordinal={sample.ordinal}>
      <header>
        <span className="ordinal">#{sample.ordinal}</span>
        {similarity !== undefined && (
          <span className="similarity">similarity {formatNumber(similarity, 3)}</span>
        )}
        {scores.map(([metric, value]) => (
          <span key={metric} className="score" data-metric={metric} data-value={value ?? ''}>
            {metric.replace(/^[a-z]+\./, '')}: <strong>{formatNumber(value)}</strong>
          </span>
        ))}
        {onSimilar && (
          <button type="button" className="link" onClick={onSimilar} data-action="similar">
            similar
          </button>
        )}
      </header>
      {sample.messages ? (
        <div className="messages">
          {sample.messages.map((m, i) => (
            <div key={i} className={`message role-${m.role}`}>
              <span className="role">{m.role}</span>
              <pre>{m.content}</pre>
            </div>
          ))}
        </div>
      ) : (
        <>
          {sample.prompt !== null && <Field name="prompt" text={sample.prompt} />}
          {sample.response !== null && <Field name="response" text={sample.response} />}
        </>
      )}
      {sample.reference !== null && <Field name="reference" text={sample.reference} />}
    </article>
  );
}

function Field({ name, text }: { name: string; text: string }) {
  return (
    <div className={`field field-${name}`}>
      <span className="role">{name}</span>
      <pre>{text}</pre>
    </div>
  );
}

interface SearchData {
  exact: boolean;
  space: { key: string };
  hits: { similarity: number; sample: SampleView }[];
}

function SemanticSearch({
  version,
  ranges,
}: {
  version: NonNullable<VersionData['version']>;
  ranges: Range[];
}) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<{ data?: SearchData; error?: Error; loading?: boolean }>({});
  if (version.embeddings.every((e) => e.embedded === 0)) {
    return <p className="sub">Semantic search needs embeddings: embed the version on its page.</p>;
  }
  const predicates = ranges.flatMap((r) => [
    ...(r.min !== undefined ? [{ metric: r.metric, op: 'GTE', value: r.min }] : []),
    ...(r.max !== undefined ? [{ metric: r.metric, op: 'LTE', value: r.max }] : []),
  ]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    setResult({ loading: true });
    try {
      const data = await gql<{ searchSamples: SearchData }>(SEARCH, {
        query: text,
        scope: { versions: [version.id], scores: predicates.length ? predicates : undefined },
      });
      setResult({ data: data.searchSamples });
    } catch (error) {
      setResult({ error: error as Error });
    }
  };
  return (
    <section className="semantic">
      <form onSubmit={(e) => void submit(e)} role="search">
        <input
          name="semantic"
          type="search"
          placeholder="Semantic search in this version (score filters apply)"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit">Search</button>
        {result.data && (
          <button type="button" onClick={() => setResult({})}>
            clear
          </button>
        )}
      </form>
      {result.loading && <Loading what="Searching" />}
      {result.error && <ErrorView error={result.error} />}
      {result.data && <Hits data={result.data} testId="search-hits" />}
    </section>
  );
}

function Hits({ data, testId }: { data: SearchData; testId: string }) {
  return (
    <div className="hits" data-testid={testId}>
      <p className="sub">
        {data.hits.length} hits in <code>{data.space.key}</code> ({data.exact ? 'exact scan' : 'HNSW index'})
      </p>
      {data.hits.map((hit) => (
        <SampleCard key={hit.sample.id} sample={hit.sample} similarity={hit.similarity} />
      ))}
    </div>
  );
}

function Similar({
  sample,
  versionId,
  onClose,
}: {
  sample: SampleView;
  versionId: string;
  onClose: () => void;
}) {
  const state = useQuery<{ similarSamples: SearchData }>(SIMILAR, {
    sample: sample.id,
    scope: { versions: [versionId] },
  });
  return (
    <aside className="similar-panel" data-testid="similar">
      <header>
        Samples similar to #{sample.ordinal}{' '}
        <button type="button" onClick={onClose}>
          close
        </button>
      </header>
      <Query state={state}>{(data) => <Hits data={data.similarSamples} testId="similar-hits" />}</Query>
    </aside>
  );
}
