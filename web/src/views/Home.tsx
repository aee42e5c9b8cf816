/** Catalog home: datasets with text or semantic search, filters, sort and paging; recent jobs. */
import { useState, type FormEvent } from 'react';
import { paths, replaceQuery, useLocation } from '../router';
import {
  ErrorView,
  formatDate,
  formatNumber,
  Link,
  Loading,
  Pager,
  Query,
  useCursorPages,
  useQuery,
} from '../ui';
import { JobList } from './Jobs';

const PAGE = 20;

interface DatasetRow {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  task: string | null;
  domain: string | null;
  tags: string[];
  createdAt: string;
  latestVersion: { id: string; version: number; sampleCount: number } | null;
}

const DATASET_FIELDS = `id slug name description task domain tags createdAt
  latestVersion { id version sampleCount }`;

const DATASETS = `query Datasets($first: Int, $after: String, $filter: DatasetFilter, $orderBy: DatasetOrder) {
  datasets(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${DATASET_FIELDS} } }
  }
}`;

const SEARCH = `query SearchDatasets($query: String!) {
  searchDatasets(query: $query, k: 20) {
    space { key }
    hits { similarity dataset { ${DATASET_FIELDS} } }
  }
}`;

interface DatasetsData {
  datasets: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: DatasetRow }[];
  };
}

interface SearchData {
  searchDatasets: { space: { key: string }; hits: { similarity: number; dataset: DatasetRow }[] };
}

export default function Home() {
  const { query } = useLocation();
  const text = query.get('q') ?? '';
  const semantic = query.get('mode') === 'semantic';
  const filter = {
    text: !semantic && text ? text : undefined,
    task: query.get('task') || undefined,
    domain: query.get('domain') || undefined,
    tag: query.get('tag') || undefined,
  };
  const orderBy = query.get('sort') ?? 'CREATED_AT_DESC';
  const pages = useCursorPages();
  const after = pages.after;
  const list = useQuery<DatasetsData>(
    DATASETS,
    { first: PAGE, after, filter, orderBy },
    { skip: semantic && !!text },
  );
  const search = useQuery<SearchData>(SEARCH, { query: text }, { skip: !(semantic && text) });
  const setFilter = (params: Record<string, string | null>) => {
    pages.reset();
    replaceQuery(params);
  };

  return (
    <div className="home">
      <section className="datasets">
        <h1>Datasets</h1>
        <SearchForm text={text} semantic={semantic} onSearch={(q, mode) => setFilter({ q, mode })} />
        <div className="filters">
          {(['task', 'domain', 'tag'] as const).map((name) => (
            <label key={name}>
              {name}{' '}
              <input
                name={name}
                defaultValue={query.get(name) ?? ''}
                onKeyDown={(event) => {
                  if (event.key === 'Enter') setFilter({ [name]: (event.target as HTMLInputElement).value });
                }}
                onBlur={(event) => {
                  if (event.target.value !== (query.get(name) ?? ''))
                    setFilter({ [name]: event.target.value });
                }}
              />
            </label>
          ))}
          <label>
            sort{' '}
            <select name="sort" value={orderBy} onChange={(event) => setFilter({ sort: event.target.value })}>
              <option value="CREATED_AT_DESC">newest first</option>
              <option value="CREATED_AT_ASC">oldest first</option>
              <option value="NAME_ASC">name A–Z</option>
            </select>
          </label>
        </div>
        {semantic && text ? (
          <Query state={search}>
            {(data) => (
              <>
                <p className="count" data-testid="dataset-count">
                  {data.searchDatasets.hits.length} nearest datasets to “{text}” in space{' '}
                  <code>{data.searchDatasets.space.key}</code>
                </p>
                <DatasetTable
                  rows={data.searchDatasets.hits.map((hit) => hit.dataset)}
                  similarity={data.searchDatasets.hits.map((hit) => hit.similarity)}
                  onTag={(tag) => setFilter({ tag })}
                />
              </>
            )}
          </Query>
        ) : list.error ? (
          <ErrorView error={list.error} retry={list.reload} />
        ) : !list.data ? (
          <Loading />
        ) : (
          <>
            <p className="count" data-testid="dataset-count">
              {list.data.datasets.totalCount.toLocaleString('en-US')} datasets
              {pages.page > 1 ? `, page ${pages.page}` : ''}
            </p>
            <DatasetTable
              rows={list.data.datasets.edges.map((e) => e.node)}
              onTag={(tag) => setFilter({ tag })}
            />
            <Pager pages={pages} pageInfo={list.data.datasets.pageInfo} />
          </>
        )}
      </section>
      <aside className="jobs-panel">
        <h2>Recent jobs</h2>
        <JobList first={8} />
      </aside>
    </div>
  );
}

function SearchForm({
  text,
  semantic,
  onSearch,
}: {
  text: string;
  semantic: boolean;
  onSearch: (text: string, mode: string | null) => void;
}) {
  const [value, setValue] = useState(text);
  const [mode, setMode] = useState(semantic ? 'semantic' : 'text');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(value, mode === 'semantic' ? 'semantic' : null);
  };
  return (
    <form className="search" onSubmit={submit} role="search">
      <input
        name="q"
        type="search"
        placeholder="Search name and description"
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <select
        name="mode"
        value={mode}
        onChange={(event) => setMode(event.target.value)}
        aria-label="search mode"
      >
        <option value="text">text</option>
        <option value="semantic">semantic</option>
      </select>
      <button type="submit">Search</button>
    </form>
  );
}

function DatasetTable({
  rows,
  similarity,
  onTag,
}: {
  rows: DatasetRow[];
  similarity?: number[];
  onTag: (tag: string) => void;
}) {
  if (rows.length === 0) return <p className="empty">No datasets match.</p>;
  return (
    <table className="grid" data-testid="datasets">
      <thead>
        <tr>
          <th>Dataset</th>
          <th>Task</th>
          <th>Domain</th>
          <th>Tags</th>
          <th>Latest</th>
          <th>Samples</th>
          <th>Created</th>
          {similarity && <th>Similarity</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={row.id} data-slug={row.slug}>
            <td>
              <Link to={paths.dataset(row.slug)}>{row.name}</Link>
              <div className="sub">{row.slug}</div>
            </td>
            <td>{row.task ?? '–'}</td>
            <td>{row.domain ?? '–'}</td>
            <td>
              {row.tags.map((tag) => (
                <button type="button" key={tag} className="tag" onClick={() => onTag(tag)}>
                  {tag}
                </button>
              ))}
            </td>
            <td>
              {row.latestVersion ? (
                <Link to={paths.version(row.slug, row.latestVersion.version)}>
                  v{row.latestVersion.version}
                </Link>
              ) : (
                '–'
              )}
            </td>
            <td className="num">{formatNumber(row.latestVersion?.sampleCount)}</td>
            <td>{formatDate(row.createdAt)}</td>
            {similarity && <td className="num">{formatNumber(similarity[i], 3)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
