/** Taxonomy: components with their expected Q/D/C effects, algorithms with their pipelines and runs. */
import { paths } from '../router';
import { formatDate, JsonText, Link, Query, useQuery } from '../ui';

interface Component {
  key: string;
  stage: string;
  name: string;
  description: string;
  quality: string;
  diversity: string;
  complexity: string;
  rationale: string;
  citation: string | null;
}

interface Algorithm {
  key: string;
  name: string;
  year: number | null;
  arxivId: string | null;
  paperTitle: string | null;
  description: string;
  components: {
    position: number;
    config: unknown;
    component: { key: string; name: string; stage: string };
  }[];
}

const TAXONOMY = `{
  components { key stage name description quality diversity complexity rationale citation }
  algorithms { key name year arxivId paperTitle description components { position config component { key name stage } } }
}`;

const ALGORITHM = `query AlgorithmPage($key: String!) {
  algorithm(key: $key) {
    key name year arxivId paperTitle description
    components { position config component { key name stage } }
    runs(first: 100) {
      edges { node { generatorModel params createdAt output { id version sampleCount dataset { slug } } inputs { role version { version dataset { slug } } } } }
      pageInfo { hasNextPage }
    }
  }
}`;

const EFFECT: Record<string, string> = { UP: '▲ up', DOWN: '▼ down', NONE: '· none', DEPENDS: '◆ depends' };

function Effect({ value }: { value: string }) {
  return <span className={`effect effect-${value}`}>{EFFECT[value] ?? value}</span>;
}

export default function TaxonomyPage({ algorithmKey }: { algorithmKey: string | null }) {
  if (algorithmKey) return <AlgorithmPage algorithmKey={algorithmKey} />;
  return <Overview />;
}

function Overview() {
  const state = useQuery<{ components: Component[]; algorithms: Algorithm[] }>(TAXONOMY);
  return (
    <Query state={state}>
      {(data) => (
        <div className="taxonomy">
          <h1>Taxonomy</h1>
          <section>
            <h2>Algorithms</h2>
            <table className="grid" data-testid="algorithms">
              <thead>
                <tr>
                  <th>Algorithm</th>
                  <th>Year</th>
                  <th>Pipeline</th>
                </tr>
              </thead>
              <tbody>
                {data.algorithms.map((a) => (
                  <tr key={a.key} data-key={a.key}>
                    <td>
                      <Link to={paths.algorithm(a.key)}>{a.name}</Link>
                      {a.arxivId && <div className="sub">arXiv:{a.arxivId}</div>}
                    </td>
                    <td>{a.year ?? '–'}</td>
                    <td>
                      <Pipeline steps={a.components} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <h2>Components</h2>
            <table className="grid" data-testid="components">
              <thead>
                <tr>
                  <th>Stage</th>
                  <th>Component</th>
                  <th>Quality</th>
                  <th>Diversity</th>
                  <th>Complexity</th>
                  <th>Why</th>
                  <th>Citation</th>
                </tr>
              </thead>
              <tbody>
                {data.components.map((c) => (
                  <tr key={c.key} data-key={c.key} id={`component-${c.key}`}>
                    <td>{c.stage.toLowerCase().replace(/_/g, ' ')}</td>
                    <td>
                      <strong>{c.name}</strong>
                      <div className="sub">{c.description}</div>
                    </td>
                    <td>
                      <Effect value={c.quality} />
                    </td>
                    <td>
                      <Effect value={c.diversity} />
                    </td>
                    <td>
                      <Effect value={c.complexity} />
                    </td>
                    <td className="sub">{c.rationale}</td>
                    <td className="sub">{c.citation ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      )}
    </Query>
  );
}

function Pipeline({ steps }: { steps: Algorithm['components'] }) {
  return (
    <ol className="pipeline">
      {steps.map((s) => (
        <li key={s.position} title={s.config ? JSON.stringify(s.config) : undefined}>
          {s.component.name}
        </li>
      ))}
    </ol>
  );
}

interface AlgorithmData {
  algorithm:
    | (Algorithm & {
        runs: {
          pageInfo: { hasNextPage: boolean };
          edges: {
            node: {
              generatorModel: string | null;
              params: unknown;
              createdAt: string;
              output: { id: string; version: number; sampleCount: number; dataset: { slug: string } };
              inputs: { role: string; version: { version: number; dataset: { slug: string } } }[];
            };
          }[];
        };
      })
    | null;
}

function AlgorithmPage({ algorithmKey }: { algorithmKey: string }) {
  const state = useQuery<AlgorithmData>(ALGORITHM, { key: algorithmKey });
  return (
    <Query
      state={state}
      notFound={(data) => (data.algorithm ? null : `No algorithm has the key “${algorithmKey}”.`)}
    >
      {({ algorithm }) => {
        const a = algorithm!;
        return (
          <div className="algorithm">
            <h1>{a.name}</h1>
            <p className="sub">
              {a.paperTitle}
              {a.arxivId && <> · arXiv:{a.arxivId}</>}
              {a.year && <> · {a.year}</>}
            </p>
            <p>{a.description}</p>
            <h2>Pipeline</h2>
            <Pipeline steps={a.components} />
            <h2>Versions generated with it</h2>
            {a.runs.edges.length === 0 ? (
              <p className="empty">No recorded runs use this algorithm.</p>
            ) : (
              <table className="grid" data-testid="algorithm-runs">
                <thead>
                  <tr>
                    <th>Output</th>
                    <th>Inputs</th>
                    <th>Model</th>
                    <th>Parameters</th>
                    <th>Recorded</th>
                  </tr>
                </thead>
                <tbody>
                  {a.runs.edges.map(({ node }) => (
                    <tr key={node.output.id}>
                      <td>
                        <Link to={paths.version(node.output.dataset.slug, node.output.version)}>
                          {node.output.dataset.slug} v{node.output.version}
                        </Link>
                      </td>
                      <td>
                        {node.inputs.map((i) => (
                          <div key={`${i.version.dataset.slug}${i.version.version}`}>
                            <span className="role">{i.role}</span> {i.version.dataset.slug} v
                            {i.version.version}
                          </div>
                        ))}
                      </td>
                      <td>{node.generatorModel ?? '–'}</td>
                      <td>
                        <JsonText value={node.params} />
                      </td>
                      <td>{formatDate(node.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      }}
    </Query>
  );
}
