/** The GraphQL IDE (GraphiQL, bundled: no CDN), sending the explorer's API key when one is set. */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { apiKey } from './api';

const DEFAULT_QUERY = `# The qdc-catalog GraphQL API. Docs: the book icon on the left.
{
  serverInfo { version backend auth }
  datasets(first: 5) {
    totalCount
    edges { node { slug name latestVersion { version sampleCount } } }
  }
}
`;

const key = apiKey();
const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  headers: key ? { authorization: `Bearer ${key}` } : undefined,
});

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
