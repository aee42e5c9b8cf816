/**
 * OpenLineage in and out: GET /v1/versions/{id}/openlineage emits a RunEvent valid against the
 * vendored OpenLineage 2-0-2 schema and facet schemas (compiled here on their own), carrying the
 * run's qdc_generation facet and the QDC values in dataQualityMetrics facets; POST /v1/lineage
 * records COMPLETE events naming known versions, reports unknown datasets and refuses malformed
 * events with the JSON path of the problem, recording nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import {
  buildFixture,
  GENERATED,
  GENERATED_RESPONSE_LENGTH,
  JUDGE_MEAN,
  type Fixture,
} from './helpers/interopFixture.js';
import { startTestServer, type TestServer, type ResponseJson } from './helpers/testServer.js';

const VENDOR = new URL('../src/interop/vendor/openlineage/', import.meta.url);
const schema = (file: string) => JSON.parse(readFileSync(new URL(file, VENDOR), 'utf8'));

function schemaValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const formats = addFormatsModule as unknown as { default?: (a: Ajv2020) => void } & ((a: Ajv2020) => void);
  (formats.default ?? formats)(ajv);
  for (const f of [
    'OpenLineage.json',
    'DatasetVersionDatasetFacet.json',
    'DataQualityMetricsInputDatasetFacet.json',
    'DataQualityMetricsDatasetFacet.json',
  ])
    ajv.addSchema(schema(f));
  return ajv;
}

describe('OpenLineage', () => {
  let server: TestServer;
  let fx: Fixture;
  let event: ResponseJson;
  const ajv = schemaValidator();
  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/v1/lineage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ResponseJson };
  };
  const generatedBy = async (slug: string) =>
    (
      await server.ok(
        `query($s: String!) { dataset(slug: $s) { latestVersion { generatedBy {
          algorithm { key } generatorModel params notes inputs { role version { version dataset { slug } } } } } } }`,
        { s: slug },
      )
    ).dataset.latestVersion.generatedBy;
  const createVersion = async (slug: string, samples: object[]) => {
    await server.ok('mutation($in: CreateDatasetInput!) { createDataset(input: $in) { id } }', {
      in: { slug, name: slug },
    });
    return (
      await server.ok(
        'mutation($in: CreateVersionInput!) { createVersion(input: $in) { version { id contentHash } } }',
        { in: { dataset: slug, samples } },
      )
    ).createVersion.version as { id: string; contentHash: string };
  };

  before(async () => {
    server = await startTestServer();
    fx = await buildFixture(server);
    const res = await fetch(`${server.url}/v1/versions/${fx.genId}/openlineage`);
    assert.equal(res.status, 200);
    event = await res.json();
  });
  after(() => server.stop());

  it('emits a RunEvent valid against the OpenLineage schema and its facet schemas', async () => {
    const validate = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json')!;
    assert.ok(validate(event), JSON.stringify(validate.errors));
    const versionFacet = ajv.getSchema(
      'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json',
    )!;
    const dqInput = ajv.getSchema(
      'https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json',
    )!;
    const dqOutput = ajv.getSchema(
      'https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json',
    )!;
    for (const d of [...event.inputs, ...event.outputs])
      assert.ok(versionFacet({ version: d.facets.version }));
    assert.ok(
      dqInput({ dataQualityMetrics: event.inputs[0].inputFacets.dataQualityMetrics }),
      JSON.stringify(dqInput.errors),
    );
    assert.ok(
      dqOutput({ dataQualityMetrics: event.outputs[0].facets.dataQualityMetrics }),
      JSON.stringify(dqOutput.errors),
    );

    // The catalog's own facet schema is served where _schemaURL says and accepts the facet.
    const generation = event.run.facets.qdc_generation;
    const [schemaUrl, pointer] = generation._schemaURL.split('#');
    assert.equal(schemaUrl, `${server.url}/v1/openlineage/QdcGenerationRunFacet.json`);
    const own = (await (await fetch(schemaUrl)).json()) as ResponseJson;
    ajv.addSchema(own);
    const facetValidate = ajv.getSchema(`${own.$id}#${pointer}`)!;
    assert.ok(facetValidate(generation), JSON.stringify(facetValidate.errors));
    assert.equal(facetValidate({ ...generation, params: 'hot' }), false, 'the facet schema can fail');

    const facets = [
      generation,
      ...event.inputs.flatMap((d: ResponseJson) => [
        ...Object.values(d.facets),
        ...Object.values(d.inputFacets),
      ]),
      ...event.outputs.flatMap((d: ResponseJson) => Object.values(d.facets)),
    ] as ResponseJson[];
    assert.equal(facets.length, 6);
    for (const f of facets) {
      assert.match(f._producer, /^urn:qdc-catalog:/);
      assert.match(f._schemaURL, /^https?:\/\/.+#\/\$defs\/\w+$/);
    }
  });

  it('carries the run and the QDC values', async () => {
    assert.equal(event.eventType, 'COMPLETE');
    assert.equal(event.eventTime, '2026-01-02T04:00:00.000Z', 'the run finished then');
    const generation = event.run.facets.qdc_generation;
    assert.deepEqual(generation.algorithm, {
      key: 'self-instruct',
      name: 'Self-Instruct',
      arxivId: '2212.10560',
    });
    assert.equal(generation.generatorModel, 'gpt-4-0613');
    assert.deepEqual(generation.params, { temperature: 0.7, top_p: 0.9 });
    const again = (await (
      await fetch(`${server.url}/v1/versions/${fx.genId}/openlineage`)
    ).json()) as ResponseJson;
    assert.equal(again.run.runId, event.run.runId, 'the same run has the same runId');

    assert.deepEqual(
      event.inputs.map((d: ResponseJson) => [
        d.namespace,
        d.name,
        d.facets.version.datasetVersion,
        d.inputFacets.qdc_input.role,
      ]),
      [[server.url, 'seed-tasks', '1', 'SEED']],
    );
    const output = event.outputs[0];
    assert.deepEqual([output.name, output.facets.version.datasetVersion], ['gen', '1']);
    const dq = output.facets.dataQualityMetrics;
    assert.equal(dq.rowCount, 3);
    const length = dq.columnMetrics['complexity.length'];
    assert.ok(Math.abs(length.qdc_value - GENERATED_RESPONSE_LENGTH) < 1e-12);
    assert.deepEqual([length.count, length.qdc_estimator, length.qdc_params.field], [3, 'EXACT', 'response']);
    const judge = dq.columnMetrics['external:judge'];
    assert.ok(Math.abs(judge.qdc_value - JUDGE_MEAN) < 1e-12);
    assert.deepEqual([judge.count, judge.min, judge.max, judge.quantiles['0.5']], [3, 0.25, 0.9, 0.5]);
    assert.deepEqual(
      event.inputs[0].inputFacets.dataQualityMetrics.columnMetrics,
      {},
      'nothing computed on the seed',
    );
  });

  it('records a COMPLETE event naming known versions as a generation run', async () => {
    const copy = await createVersion('gen-copy', GENERATED);
    const sent = structuredClone(event);
    sent.outputs[0].name = 'gen-copy';
    sent.outputs[0].facets.version.datasetVersion = copy.contentHash; // a version named by its content hash
    const { status, body } = await post(sent);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.events.map((e: ResponseJson) => [
        e.path,
        e.status,
        e.recorded.map((r: ResponseJson) => [r.output, r.outputId, r.inputs]),
      ]),
      [['$', 'recorded', [['gen-copy@1', copy.id, [{ ref: 'seed-tasks@1', role: 'SEED' }]]]]],
    );
    const run = await generatedBy('gen-copy');
    assert.deepEqual(
      [run.algorithm.key, run.generatorModel, run.params, run.inputs],
      [
        'self-instruct',
        'gpt-4-0613',
        { temperature: 0.7, top_p: 0.9 },
        [{ role: 'SEED', version: { version: 1, dataset: { slug: 'seed-tasks' } } }],
      ],
    );
    assert.match(run.notes, new RegExp(`OpenLineage run ${sent.run.runId}`));
    const twice = await post(sent);
    assert.equal(twice.body.events[0].status, 'refused');
    assert.match(twice.body.events[0].reason, /already has a generation run/);
  });

  it('refuses an event with a NUL or a lone surrogate in any string, naming its path', async () => {
    const event = (name: string) => ({
      eventType: 'COMPLETE',
      eventTime: '2026-02-01T00:00:00Z',
      producer: 'https://github.com/apache/airflow',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
      run: { runId: '3f5e3b7a-1c2d-4e5f-8a9b-0c1d2e3f4a5c' },
      job: { namespace: 'airflow', name },
      outputs: [{ namespace: 'qdc', name: 'gen-unknown' }],
    });
    for (const [name, problem] of [
      ['dag\u0000task', /\$\.job\.name contains a NUL character/],
      ['dag\ud800task', /\$\.job\.name contains an unpaired UTF-16 surrogate/],
    ] as const) {
      const { status, body } = await post(event(name));
      assert.equal(status, 400, JSON.stringify(body));
      assert.match(body.errors[0].message, problem);
    }
  });

  it('reports unknown datasets instead of guessing, and ignores events other than COMPLETE', async () => {
    await createVersion('gen-unknown', [{ prompt: 'a', response: 'b' }]);
    const { status, body } = await post({
      eventType: 'COMPLETE',
      eventTime: '2026-02-01T00:00:00Z',
      producer: 'https://github.com/apache/airflow',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
      run: { runId: '3f5e3b7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b' },
      job: { namespace: 'airflow', name: 'dag.task' },
      inputs: [
        { namespace: 'postgres://db:5432', name: 'public.raw_prompts' },
        { namespace: 'qdc', name: 'seed-tasks' },
      ],
      outputs: [
        { namespace: 'qdc', name: 'gen-unknown@2' },
        {
          namespace: 'qdc',
          name: 'gen-unknown',
          facets: { version: { _producer: 'x:y', _schemaURL: 'x:y', datasetVersion: 'deadbeef' } },
        },
      ],
    });
    assert.equal(status, 200);
    const [outcome] = body.events;
    assert.equal(outcome.status, 'unresolved');
    assert.deepEqual(
      outcome.unknownDatasets.map((u: ResponseJson) => [u.path, u.name, u.reason]),
      [
        ['$.inputs[0]', 'public.raw_prompts', 'the name is not a dataset slug (or slug@N) of this catalog'],
        [
          '$.inputs[1]',
          'seed-tasks',
          'no version named: add the "version" dataset facet (a version number or content hash) or use slug@N',
        ],
        ['$.outputs[0]', 'gen-unknown@2', 'dataset "gen-unknown" has no version 2'],
        [
          '$.outputs[1]',
          'gen-unknown',
          'version "deadbeef" is neither a version number nor a content hash (64 hex digits)',
        ],
      ],
    );
    assert.equal(await generatedBy('gen-unknown'), null, 'nothing was recorded');

    const start = await post({ ...structuredClone(event), eventType: 'START' });
    assert.deepEqual(
      [start.body.events[0].status, start.body.events[0].reason],
      ['ignored', 'only COMPLETE events record a generation run'],
    );
  });

  it('refuses malformed events with the JSON path of the problem and records nothing', async () => {
    const target = await createVersion('gen-bad', [{ prompt: 'c', response: 'd' }]);
    const good = structuredClone(event);
    good.outputs[0].name = 'gen-bad';
    good.outputs[0].facets.version.datasetVersion = '1';
    assert.ok(target.id);

    const cases: [unknown, string, RegExp][] = [
      [{ ...good, run: {} }, '$.run.runId', /is required/],
      [{ ...good, run: { runId: 'run-42' } }, '$.run.runId', /must match format "uuid"/],
      [{ ...good, eventType: 'DONE' }, '$.eventType', /must be equal to one of the allowed values/],
      [{ ...good, eventTime: 'yesterday' }, '$.eventTime', /must match format "date-time"/],
      [{ ...good, outputs: [{ name: 'gen-bad' }] }, '$.outputs[0].namespace', /is required/],
      [
        {
          ...good,
          run: {
            ...good.run,
            facets: { qdc_generation: { ...good.run.facets.qdc_generation, params: 'hot' } },
          },
        },
        '$.run.facets.qdc_generation.params',
        /must be object/,
      ],
      [[good, { ...good, producer: 7 }], '$[1].producer', /must be string/],
    ];
    for (const [body, path, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      const error = res.body.errors[0];
      assert.equal(error.extensions.code, 'BAD_USER_INPUT');
      assert.equal(error.extensions.path, path);
      assert.ok(
        error.extensions.problems.some((p: ResponseJson) => p.path === path && message.test(p.message)),
        JSON.stringify(error),
      );
      assert.match(error.message, /nothing was recorded/);
    }
    assert.equal(
      await generatedBy('gen-bad'),
      null,
      'the valid event of the refused batch was not recorded either',
    );

    const notJson = await post('{"eventType": ');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.errors[0].extensions.code, 'BAD_REQUEST');
    const noRun = await fetch(`${server.url}/v1/versions/${target.id}/openlineage`);
    assert.equal(noRun.status, 404);
  });
});
