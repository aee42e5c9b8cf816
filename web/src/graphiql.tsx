/** The GraphQL IDE (GraphiQL, bundled: no CDN), sending the explorer's API key when one is set. */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { apiKey } from './api';

const key = apiKey();
const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  headers: key ? { authorization: `Bearer ${key}` } : undefined,
});

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={
        '{\n  serverInfo { version backend auth }\n  datasets(first: 5) { totalCount edges { node { slug name latestVersion { version sampleCount } } } }\n}\n'
      }
    />
  </StrictMode>,
);
