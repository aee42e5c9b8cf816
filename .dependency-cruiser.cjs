/**
 * The import direction of src/, checked by `npm run lint` (dependency-cruiser).
 *
 * Entry points (cli, http, graphql) -> the composition root (app.ts) -> domain (generation, ingest,
 * metricRuns, embeddings, jobs, auth, catalog) -> db. metrics/ and tint/ are pure: they import each
 * other's way down only and never the database, so the same code runs in a worker, a benchmark or a
 * notebook. threads/ is the worker-thread pool that domain code runs that pure code in. The modules directly under src/ are shared leaves that any layer may import.
 *
 * LAYERS lists, for each folder, the folders it may import besides itself. A folder missing from
 * the map fails the check, so a new one has to be placed; the map must stay acyclic.
 */
const fs = require('node:fs');
const path = require('node:path');

/** Leaves every layer may use: no I/O, no environment, nothing above them. */
const PURE_LEAVES = ['errors', 'fmix32', 'mulberry32', 'storableText'];
/** Leaves for everything but the pure layers (they read the environment or write logs). */
const SHARED_LEAVES = [...PURE_LEAVES, 'config', 'logger', 'globalId', 'nodeFlags'];

/** Every domain folder, the pure ones and db: what the entry points may import. */
const BELOW_ENTRY_POINTS = [
  'db',
  'catalog',
  'jobs',
  'auth',
  'embeddings',
  'metricRuns',
  'judges',
  'ingest',
  'generation',
  'metrics',
  'tint',
  'interop',
  'threads',
];

const LAYERS = {
  tint: { leaves: PURE_LEAVES, may: [] },
  // The worker-thread pool: node:worker_threads only, so pure code can run off the main thread.
  threads: { leaves: PURE_LEAVES, may: [] },
  metrics: { leaves: PURE_LEAVES, may: ['tint'] },
  db: { leaves: SHARED_LEAVES, may: [] },
  catalog: { leaves: SHARED_LEAVES, may: ['db', 'metrics'] },
  jobs: { leaves: SHARED_LEAVES, may: ['db'] },
  auth: { leaves: SHARED_LEAVES, may: ['db'] },
  embeddings: { leaves: SHARED_LEAVES, may: ['db', 'catalog', 'jobs', 'metrics'] },
  judges: { leaves: SHARED_LEAVES, may: ['db', 'metrics'] },
  metricRuns: {
    leaves: SHARED_LEAVES,
    may: ['db', 'catalog', 'jobs', 'embeddings', 'judges', 'metrics', 'threads'],
  },
  ingest: { leaves: SHARED_LEAVES, may: ['db', 'catalog', 'metricRuns', 'metrics'] },
  generation: { leaves: SHARED_LEAVES, may: ['db', 'catalog', 'jobs', 'tint'] },
  interop: { leaves: SHARED_LEAVES, may: ['db', 'catalog', 'ingest', 'metricRuns', 'metrics'] },
  graphql: { leaves: SHARED_LEAVES, may: BELOW_ENTRY_POINTS },
  http: { leaves: SHARED_LEAVES, may: [...BELOW_ENTRY_POINTS, 'graphql'] },
  // graphql: the graph commands (qdc runs, lineage, ...) run the server's operations in-process.
  cli: { leaves: SHARED_LEAVES, may: ['app', ...BELOW_ENTRY_POINTS, 'http', 'graphql'] },
};
/** src/app.ts wires job kinds to their handlers; only the CLI (and tests) open a catalog through it. */
const APP = {
  may: ['db', 'catalog', 'jobs', 'auth', 'embeddings', 'metricRuns', 'judges', 'ingest', 'generation'],
};

checkLayerMap();

const leafPattern = (names) => `^src/(${names.join('|')})\\.ts$`;
const folderPattern = (names) => `^src/(${names.join('|')})/`;

const layerRules = Object.entries(LAYERS).map(([folder, { leaves, may }]) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may import only ${[folder, ...may].join(', ')} and the leaves ${leaves.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: {
    path: '^src/',
    pathNot: [
      folderPattern([folder, ...may]),
      leafPattern(leaves),
      ...(may.includes('app') ? ['^src/app\\.ts$'] : []),
    ],
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-app',
      comment: `src/app.ts may import only ${APP.may.join(', ')} and the shared leaves`,
      severity: 'error',
      from: { path: '^src/app\\.ts$' },
      to: { path: '^src/', pathNot: [folderPattern(APP.may), leafPattern(SHARED_LEAVES)] },
    },
    {
      name: 'leaves-stay-leaves',
      comment: 'the modules directly under src/ import only each other',
      severity: 'error',
      from: { path: leafPattern(SHARED_LEAVES) },
      to: { path: '^src/', pathNot: leafPattern(SHARED_LEAVES) },
    },
    {
      name: 'pure-leaves-stay-pure',
      comment: 'errors, fmix32, mulberry32 and storableText import nothing of the project but each other',
      severity: 'error',
      from: { path: leafPattern(PURE_LEAVES) },
      to: { path: '^src/', pathNot: leafPattern(PURE_LEAVES) },
    },
    {
      name: 'no-circular',
      comment: 'modules import each other in one direction only',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-tests',
      comment: 'product code never imports tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|examples)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves (an unresolved import cannot be checked)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/graphql/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only packages (e.g. @apollo/server-gateway-interface) export nothing but a 'types' condition.
    enhancedResolveOptions: {
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

function checkLayerMap() {
  const folders = fs
    .readdirSync(path.join(__dirname, 'src'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const missing = folders.filter((f) => !(f in LAYERS) && f !== 'app');
  if (missing.length > 0) {
    throw new Error(`.dependency-cruiser.cjs: place src/${missing.join(', src/')} in LAYERS`);
  }
  const visiting = new Set();
  const done = new Set();
  const visit = (folder, trail) => {
    if (done.has(folder)) return;
    if (visiting.has(folder))
      throw new Error(`.dependency-cruiser.cjs: LAYERS has a cycle: ${[...trail, folder].join(' -> ')}`);
    visiting.add(folder);
    for (const next of LAYERS[folder]?.may ?? APP.may) visit(next, [...trail, folder]);
    visiting.delete(folder);
    done.add(folder);
  };
  for (const folder of Object.keys(LAYERS)) visit(folder, []);
}
