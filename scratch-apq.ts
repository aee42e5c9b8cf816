import { createHash } from 'node:crypto';
import { startTestServer } from './test/helpers/testServer.js';
const s = await startTestServer();
const query = '{ datasets(first: 1) { totalCount } }';
const sha256Hash = createHash('sha256').update(query).digest('hex');
const ext = { persistedQuery: { version: 1, sha256Hash } };
const g = async (params: Record<string, string>) => {
  const r = await fetch(`${s.url}/graphql?${new URLSearchParams(params)}`, { headers: { accept: 'application/json' } });
  return [r.status, r.headers.get('cache-control'), await r.text()];
};
console.log(await g({ extensions: JSON.stringify(ext) }));
const p = await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, extensions: ext }) });
console.log(p.status, await p.text());
console.log(await g({ extensions: JSON.stringify(ext) }));
console.log(await g({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'ab' } }), query }));
const m = 'mutation { ping }'; const mh = createHash('sha256').update(m).digest('hex');
await fetch(`${s.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: m, extensions: { persistedQuery: { version: 1, sha256Hash: mh } } }) });
console.log(await g({ extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: mh } }) }));
await s.stop();
