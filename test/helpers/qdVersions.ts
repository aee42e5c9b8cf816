/**
 * Many versions of one dataset with two external metrics, for the QD plane at scale: one version
 * made through the API (a sample and two pushed scores), the rest copied from it in SQL with other
 * values (the API would take minutes for 10k versions; what is under test is the page). The values
 * are two low-discrepancy sequences, so the points spread over the plane with a curved frontier.
 */
import { sql } from 'drizzle-orm';
import { idOf } from '../../src/globalId.js';
import type { TestServer } from './testServer.js';

/** The plane's axes: `external:qx` and `external:qy`. */
export const QD_X = 'external:qx';
export const QD_Y = 'external:qy';

export async function makeQdVersions(server: TestServer, slug: string, count: number): Promise<void> {
  await server.ok(`mutation ($slug: String!) { createDataset(input: { slug: $slug, name: $slug }) { id } }`, {
    slug,
  });
  const made = await server.ok(
    `mutation ($slug: String!) { createVersion(input: { dataset: $slug, samples: [{ prompt: "p", response: "r" }] }) { version { id } } }`,
    { slug },
  );
  for (const name of ['qx', 'qy']) {
    await server.ok(
      `mutation ($v: ID!, $s: ScorerInput!) { recordSampleScores(version: $v, scorer: $s, scores: [{ ordinal: 0, value: 0.5 }]) { recorded } }`,
      { v: made.createVersion.version.id, s: { name } },
    );
  }
  const template = idOf('DatasetVersion', made.createVersion.version.id);
  const { db } = server.database;
  await db.execute(sql`insert into dataset_versions (dataset_id, version, content_hash, sample_count, byte_size)
    select dataset_id, 1 + i, 'qd-' || i, 1, 0 from dataset_versions, generate_series(1, ${count - 1}::int) i
    where id = ${template}`);
  await db.execute(sql`insert into metric_results (version_id, scorer_id, params, params_hash, status, value, n, samples_done, estimator, computed_at)
    select v.id, r.scorer_id, r.params, r.params_hash, r.status,
      case when s.name = 'qx' then (v.version * 0.6180339887) % 1 else ((v.version * 0.7548776662) % 1) * (1.2 - (v.version * 0.6180339887) % 1) end,
      r.n, r.samples_done, r.estimator, r.computed_at
    from dataset_versions v, metric_results r join scorers s on s.id = r.scorer_id
    where v.dataset_id = (select dataset_id from dataset_versions where id = ${template}) and v.id <> ${template}
      and r.version_id = ${template}`);
}
