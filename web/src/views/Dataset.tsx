/** Dataset and version page: card, versions, metric results by axis, deltas, and write actions. */
import { useState } from 'react';
import { gql } from '../api';
import { useSession } from '../auth';
import { navigate, paths } from '../router';
import {
  ErrorView,
  formatBytes,
  formatDate,
  formatNumber,
  JsonText,
  Link,
  Pager,
  Query,
  useCursorPages,
  useQuery,
} from '../ui';
import { FollowJob } from './Jobs';

const VERSIONS_PAGE = 20;

const DATASET = `query DatasetPage($slug: String!, $number: Int!, $latest: Boolean!, $first: Int, $after: String) {
  dataset(slug: $slug) {
    id slug name description task domain license sourceUri tags card createdAt updatedAt
    versions(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id version sampleCount contentHash byteSize createdAt } }
    }
    latestVersion @include(if: $latest) { ...VersionFields }
    version(number: $number) @skip(if: $latest) { ...VersionFields }
  }
}
fragment VersionFields on DatasetVersion {
  id version sampleCount contentHash byteSize createdAt
  embeddings { embedded samples space { key } }
  generatedBy { algorithm { key name } generatorModel params }
  parents { role version { id version dataset { slug name } } }
  children { role version { id version dataset { slug name } } }
}`;

const METRICS = `query VersionMetrics($id: ID!) {
  version(id: $id) {
    id
    overlaps {
      threshold sampleCount matchedSamples contaminationRate exactPairs nearPairs status statusReason
      space { key }
      pairs(first: 10) { edges { node { kind similarity sample { ordinal prompt response } matched { ordinal prompt response } } } }
    }
    metrics(includeRunning: true) {
      id metric value n samplesDone estimator seed sampleSize params status statusReason computedAt
      definition { axis direction }
      space { key }
    }
    metricDeltas {
      metric role delta relativeDelta comparable note
      parent { id version dataset { slug } }
      result { value }
      parentResult { value }
    }
  }
}`;

export interface VersionLink {
  role: string;
  version: { id: string; version: number; dataset: { slug: string; name: string } };
}

interface VersionFields {
  id: string;
  version: number;
  sampleCount: number;
  contentHash: string;
  byteSize: number;
  createdAt: string;
  embeddings: { embedded: number; samples: number; space: { key: string } }[];
  generatedBy: {
    algorithm: { key: string; name: string } | null;
    generatorModel: string | null;
    params: unknown;
  } | null;
  parents: VersionLink[];
  children: VersionLink[];
}

type VersionSummary = Omit<VersionFields, 'embeddings' | 'generatedBy' | 'parents' | 'children'>;

interface DatasetData {
  dataset: {
    id: string;
    slug: string;
    name: string;
    description: string | null;
    task: string | null;
    domain: string | null;
    license: string | null;
    sourceUri: string | null;
    tags: string[];
    card: unknown;
    createdAt: string;
    updatedAt: string;
    versions: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: VersionSummary }[];
    };
    latestVersion?: VersionFields | null;
    version?: VersionFields | null;
  } | null;
}

export interface MetricRow {
  id: string;
  metric: string;
  value: number | null;
  n: number | null;
  samplesDone: number;
  estimator: string | null;
  seed: number | null;
  sampleSize: number | null;
  params: Record<string, unknown>;
  status: string;
  statusReason: string | null;
  computedAt: string | null;
  definition: { axis: 'QUALITY' | 'DIVERSITY' | 'COMPLEXITY'; direction: string } | null;
  space: { key: string } | null;
}

interface DeltaRow {
  metric: string;
  role: string;
  delta: number | null;
  relativeDelta: number | null;
  comparable: boolean;
  note: string | null;
  parent: { id: string; version: number; dataset: { slug: string } };
  result: { value: number | null };
  parentResult: { value: number | null } | null;
}

export default function DatasetPage({ slug, version }: { slug: string; version: number | null }) {
  const pages = useCursorPages();
  const state = useQuery<DatasetData>(DATASET, {
    slug,
    number: version ?? 0,
    latest: version === null,
    first: VERSIONS_PAGE,
    after: pages.after,
  });
  return (
    <Query
      state={state}
      notFound={(data) =>
        !data.dataset
          ? `No dataset has the slug “${slug}”.`
          : version !== null && !data.dataset.version
            ? `Dataset “${slug}” has no version ${version}.`
            : null
      }
    >
      {({ dataset }) => {
        const d = dataset!;
        const current = d.version ?? d.latestVersion ?? null;
        return (
          <div className="dataset-page">
            <section className="card" data-testid="dataset-card">
              <h1>{d.name}</h1>
              <div className="sub">{d.slug}</div>
              {d.description && <p className="description">{d.description}</p>}
              <dl className="facts">
                <dt>Task</dt>
                <dd>{d.task ?? '–'}</dd>
                <dt>Domain</dt>
                <dd>{d.domain ?? '–'}</dd>
                <dt>License</dt>
                <dd>{d.license ?? 'unknown'}</dd>
                <dt>Source</dt>
                <dd>{d.sourceUri ?? '–'}</dd>
                <dt>Tags</dt>
                <dd>
                  {d.tags.length
                    ? d.tags.map((t) => (
                        <span key={t} className="tag">
                          {t}
                        </span>
                      ))
                    : '–'}
                </dd>
                <dt>Created</dt>
                <dd>{formatDate(d.createdAt)}</dd>
              </dl>
              {d.card != null && (
                <details>
                  <summary>Card</summary>
                  <pre className="card-json">{JSON.stringify(d.card, null, 2)}</pre>
                </details>
              )}
            </section>
            <section>
              <h2>Versions</h2>
              <table className="grid" data-testid="versions">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Samples</th>
                    <th>Content hash</th>
                    <th>Size</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  {d.versions.edges.map(({ node }) => (
                    <tr key={node.id} className={node.id === current?.id ? 'selected' : undefined}>
                      <td>
                        <Link to={paths.version(d.slug, node.version)}>v{node.version}</Link>
                      </td>
                      <td className="num">{formatNumber(node.sampleCount)}</td>
                      <td>
                        <code title={node.contentHash}>{node.contentHash.slice(0, 12)}</code>
                      </td>
                      <td className="num">{formatBytes(node.byteSize)}</td>
                      <td>{formatDate(node.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager pages={pages} pageInfo={d.versions.pageInfo} label="versions" />
            </section>
            {current ? (
              <VersionSection
                slug={d.slug}
                version={current}
                siblings={d.versions.edges.map((e) => e.node)}
              />
            ) : (
              <p className="empty">No versions yet.</p>
            )}
          </div>
        );
      }}
    </Query>
  );
}

function VersionSection({
  slug,
  version,
  siblings,
}: {
  slug: string;
  version: VersionFields;
  siblings: VersionSummary[];
}) {
  const metrics = useQuery<{
    version: { metrics: MetricRow[]; metricDeltas: DeltaRow[]; overlaps: OverlapData | null } | null;
  }>(METRICS, {
    id: version.id,
  });
  return (
    <section className="version" data-version-id={version.id}>
      <h2>
        {slug} v{version.version}
      </h2>
      <nav className="actions-nav">
        <Link to={paths.samples(version.id)}>Browse samples</Link>
        <Link to={paths.lineage(version.id)}>Lineage graph</Link>
        <Link to={paths.qd(`datasets=${encodeURIComponent(slug)}`)}>QD plane of this dataset</Link>
        <Link to={paths.qd(`descendantsOf=${encodeURIComponent(version.id)}`)}>QD plane of its lineage</Link>
        <CompareWith slug={slug} version={version} siblings={siblings} />
      </nav>
      <dl className="facts">
        <dt>Samples</dt>
        <dd>{formatNumber(version.sampleCount)}</dd>
        <dt>Content hash</dt>
        <dd>
          <code>{version.contentHash}</code>
        </dd>
        <dt>Embedded</dt>
        <dd>
          {version.embeddings.length
            ? version.embeddings.map((e) => (
                <div key={e.space.key}>
                  {formatNumber(e.embedded)} / {formatNumber(e.samples)} in <code>{e.space.key}</code>
                </div>
              ))
            : 'no vectors'}
        </dd>
        {version.generatedBy && (
          <>
            <dt>Generated by</dt>
            <dd>
              {version.generatedBy.algorithm ? (
                <Link to={paths.algorithm(version.generatedBy.algorithm.key)}>
                  {version.generatedBy.algorithm.name}
                </Link>
              ) : (
                'unknown algorithm'
              )}
              {version.generatedBy.generatorModel && <> with {version.generatedBy.generatorModel}</>}{' '}
              <JsonText value={version.generatedBy.params} />
            </dd>
          </>
        )}
        <dt>Parents</dt>
        <dd>
          <Links links={version.parents} compareTo={version.id} />
        </dd>
        <dt>Children</dt>
        <dd>
          <Links links={version.children} />
        </dd>
      </dl>
      <Actions versionId={version.id} onDone={metrics.reload} />
      <Query state={metrics}>
        {(data) => (
          <>
            <MetricsTable rows={data.version?.metrics ?? []} />
            <DeltasTable rows={data.version?.metricDeltas ?? []} />
            {data.version?.overlaps && <Overlaps overlap={data.version.overlaps} />}
          </>
        )}
      </Query>
    </section>
  );
}

/** Version links; with `compareTo`, each gets a "diff" link from it (base) to that version (head). */
function Links({ links, compareTo }: { links: VersionLink[]; compareTo?: string }) {
  if (links.length === 0) return <>–</>;
  return (
    <>
      {links.map((link) => (
        <div key={link.version.id}>
          <span className="role">{link.role}</span>{' '}
          <Link to={paths.version(link.version.dataset.slug, link.version.version)}>
            {link.version.dataset.slug} v{link.version.version}
          </Link>
          {compareTo && (
            <>
              {' '}
              <Link to={paths.compare(link.version.id, compareTo)} className="diff-link">
                diff
              </Link>
            </>
          )}
        </div>
      ))}
    </>
  );
}

/** Pick another version (a lineage parent or child, or one of this dataset) to diff this one against. */
function CompareWith({
  slug,
  version,
  siblings,
}: {
  slug: string;
  version: VersionFields;
  siblings: VersionSummary[];
}) {
  const choices = new Map<string, string>();
  for (const link of version.parents)
    choices.set(link.version.id, `${link.version.dataset.slug} v${link.version.version} (parent)`);
  for (const link of version.children)
    choices.set(link.version.id, `${link.version.dataset.slug} v${link.version.version} (child)`);
  for (const other of siblings)
    if (!choices.has(other.id)) choices.set(other.id, `${slug} v${other.version}`);
  choices.delete(version.id);
  if (choices.size === 0) return null;
  return (
    <label className="compare-with">
      Compare with{' '}
      <select
        name="compare"
        value=""
        onChange={(event) => event.target.value && navigate(paths.compare(event.target.value, version.id))}
      >
        <option value="">choose a version…</option>
        {[...choices].map(([id, label]) => (
          <option key={id} value={id}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}

const AXES = [
  ['QUALITY', 'Quality'],
  ['DIVERSITY', 'Diversity'],
  ['COMPLEXITY', 'Complexity'],
  ['EXTERNAL', 'Pushed scores'],
] as const;

export function MetricsTable({ rows }: { rows: MetricRow[] }) {
  if (rows.length === 0) return <p className="empty">No metric results yet.</p>;
  return (
    <div data-testid="metrics">
      <h3>Metric results</h3>
      {AXES.map(([axis, title]) => {
        const group = rows.filter((row) => (row.definition?.axis ?? 'EXTERNAL') === axis);
        if (group.length === 0) return null;
        return (
          <table className="grid metrics" key={axis} data-axis={axis}>
            <caption>{title}</caption>
            <thead>
              <tr>
                <th>Metric</th>
                <th>Value</th>
                <th>Estimator</th>
                <th>n</th>
                <th>Seed</th>
                <th>Parameters</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {group.map((row) => (
                <tr key={row.id} data-metric={row.metric} data-status={row.status}>
                  <td>
                    {row.metric}
                    {row.definition && (
                      <div className="sub">{row.definition.direction.toLowerCase().replace(/_/g, ' ')}</div>
                    )}
                  </td>
                  <td className="num value" data-value={row.value ?? ''}>
                    {formatNumber(row.value)}
                  </td>
                  <td>
                    {row.estimator ?? '–'}
                    {row.sampleSize !== null && <div className="sub">of {formatNumber(row.sampleSize)}</div>}
                  </td>
                  <td className="num">{formatNumber(row.n)}</td>
                  <td className="num">{row.seed ?? '–'}</td>
                  <td>
                    <JsonText value={row.params} />
                  </td>
                  <td>
                    <span className={`status ${row.status}`}>{row.status}</span>
                    {row.statusReason && <div className="sub reason">{row.statusReason}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
    </div>
  );
}

function DeltasTable({ rows }: { rows: DeltaRow[] }) {
  if (rows.length === 0) return null;
  return (
    <table className="grid" data-testid="deltas">
      <caption>Changes against lineage parents</caption>
      <thead>
        <tr>
          <th>Metric</th>
          <th>Parent</th>
          <th>Parent value</th>
          <th>This value</th>
          <th>Δ</th>
          <th>Δ %</th>
          <th>Comparable</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.metric}:${row.parent.id}`} data-metric={row.metric}>
            <td>{row.metric}</td>
            <td>
              <span className="role">{row.role}</span>{' '}
              <Link to={paths.version(row.parent.dataset.slug, row.parent.version)}>
                {row.parent.dataset.slug} v{row.parent.version}
              </Link>
            </td>
            <td className="num">{formatNumber(row.parentResult?.value)}</td>
            <td className="num">{formatNumber(row.result.value)}</td>
            <td className={`num ${row.delta === null ? '' : row.delta < 0 ? 'down' : 'up'}`}>
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

const DEFINITIONS = `{ metricDefinitions { key axis } }`;

function Actions({ versionId, onDone }: { versionId: string; onDone: () => void }) {
  const session = useSession();
  const definitions = useQuery<{ metricDefinitions: { key: string; axis: string }[] }>(
    DEFINITIONS,
    {},
    {
      skip: !session.canWrite,
    },
  );
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [jobs, setJobs] = useState<{ id: string; what: string }[]>([]);
  const [error, setError] = useState<Error | null>(null);
  if (!session.canWrite) return null;
  const run = async (what: string, mutation: string, variables: Record<string, unknown>) => {
    setError(null);
    try {
      const data = await gql<Record<string, { id: string }>>(mutation, variables);
      const job = Object.values(data)[0]!;
      setJobs((list) => [{ id: job.id, what }, ...list]);
    } catch (failure) {
      setError(failure as Error);
    }
  };
  const toggle = (key: string) => {
    const next = new Set(chosen);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setChosen(next);
  };
  return (
    <section className="write-actions" data-testid="write-actions">
      <h3>Actions</h3>
      {definitions.data && (
        <details>
          <summary>Metrics to compute ({chosen.size || 'all'})</summary>
          <div className="metric-choice">
            {definitions.data.metricDefinitions.map((d) => (
              <label key={d.key}>
                <input
                  type="checkbox"
                  checked={chosen.has(d.key)}
                  onChange={() => toggle(d.key)}
                  value={d.key}
                />{' '}
                {d.key}
              </label>
            ))}
          </div>
        </details>
      )}
      <button
        type="button"
        data-action="compute"
        onClick={() =>
          void run(
            'compute metrics',
            'mutation Compute($version: ID!, $metrics: [String!]) { computeMetrics(version: $version, metrics: $metrics) { id } }',
            { version: versionId, metrics: chosen.size ? [...chosen] : null },
          )
        }
      >
        Compute metrics
      </button>{' '}
      <button
        type="button"
        data-action="embed"
        onClick={() =>
          void run('embed', 'mutation Embed($version: ID!) { embedVersion(version: $version) { id } }', {
            version: versionId,
          })
        }
      >
        Embed samples
      </button>
      {error && <ErrorView error={error} />}
      {jobs.map((job) => (
        <div key={job.id}>
          <span className="sub">{job.what}</span>
          <FollowJob id={job.id} onDone={onDone} />
        </div>
      ))}
    </section>
  );
}

interface PairSample {
  ordinal: number;
  prompt: string | null;
  response: string | null;
}

interface OverlapData {
  threshold: number;
  sampleCount: number | null;
  matchedSamples: number | null;
  contaminationRate: number | null;
  exactPairs: number | null;
  nearPairs: number | null;
  status: string;
  statusReason: string | null;
  space: { key: string };
  pairs: { edges: { node: { kind: string; similarity: number; sample: PairSample; matched: PairSample } }[] };
}

/** Near-duplicates found in the version (its newest overlap run against itself), pairs side by side. */
function Overlaps({ overlap }: { overlap: OverlapData }) {
  return (
    <section data-testid="overlaps">
      <h3>Duplicates within the version</h3>
      <p className="sub">
        {formatNumber(overlap.matchedSamples)} of {formatNumber(overlap.sampleCount)} samples in a pair (
        {formatNumber((overlap.contaminationRate ?? 0) * 100, 2)}%): {formatNumber(overlap.exactPairs)} exact,{' '}
        {formatNumber(overlap.nearPairs)} near pairs at cosine ≥ {overlap.threshold} in{' '}
        <code>{overlap.space.key}</code> <span className={`status ${overlap.status}`}>{overlap.status}</span>
      </p>
      <table className="grid pairs">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Similarity</th>
            <th>Sample</th>
            <th>Matched</th>
          </tr>
        </thead>
        <tbody>
          {overlap.pairs.edges.map(({ node }) => (
            <tr key={`${node.sample.ordinal}:${node.matched.ordinal}`}>
              <td>{node.kind.toLowerCase()}</td>
              <td className="num">{formatNumber(node.similarity, 3)}</td>
              {[node.sample, node.matched].map((sample) => (
                <td key={sample.ordinal}>
                  <span className="ordinal">#{sample.ordinal}</span>
                  <pre>{sample.prompt}</pre>
                  {sample.response && <pre>{sample.response}</pre>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
