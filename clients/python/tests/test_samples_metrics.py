"""Samples with score columns, pushed scores, metric jobs, comparisons and Pareto frontiers.

Expected values are worked out here from the texts (whitespace tokens, non-empty lines), not
read back from the server.
"""
from __future__ import annotations

import http.server
import math
import re
import threading

import pandas as pd
import pytest

from qdc_catalog import BadInputError, Catalog, Job, NotFoundError, TransportError

RESPONSES = ["one two three\nfour", "alpha beta", "a\n\nb\nc d e", "single"]
SAMPLES = [{"prompt": f"question {i}", "response": r} for i, r in enumerate(RESPONSES)]


def tokens(text):
    return len(text.split())


def steps(text):
    return sum(1 for line in text.replace("\r\n", "\n").split("\n") if line.strip())


@pytest.fixture
def version(catalog, slug):
    return catalog.ingest(SAMPLES, dataset=slug, create=True).version


def test_samples_iterate_in_order_like_graphql(catalog, gql, version):
    rows = list(catalog.samples(version))
    raw = gql(
        "query($id: ID!) { version(id: $id) { samples(first: 100) { edges { node { ordinal prompt response reference metadata } } } } }",
        {"id": version.id},
    )["data"]["version"]["samples"]["edges"]
    assert [(r["prompt"], r["response"], r["reference"]) for r in rows] == [
        (e["node"]["prompt"], e["node"]["response"], e["node"]["reference"]) for e in raw
    ]
    frame = catalog.samples(version.ref).to_pandas()
    assert list(frame.index) == [0, 1, 2, 3] and frame.index.name == "ordinal"
    assert list(frame.columns) == ["prompt", "response", "reference", "messages", "metadata"]
    assert list(frame["response"]) == RESPONSES


def test_compute_waits_and_returns_the_results(catalog, gql, version):
    seen = []
    results = catalog.compute(version, ["complexity.length", "complexity.steps"], progress=seen.append)
    assert isinstance(seen[-1], Job) and seen[-1].status == "SUCCEEDED"
    by_metric = results.set_index("metric")
    assert by_metric.loc["complexity.length", "value"] == pytest.approx(sum(map(tokens, RESPONSES)) / 4)
    assert by_metric.loc["complexity.steps", "value"] == pytest.approx(sum(map(steps, RESPONSES)) / 4)
    assert list(by_metric["n"]) == [4, 4]
    assert set(by_metric["estimator"]) == {"EXACT"} and set(by_metric["status"]) == {"COMPLETE"}
    assert by_metric.loc["complexity.length", "params"]["field"] == "response"

    table = catalog.metrics(version.ref)
    raw = gql(
        "query($id: ID!) { version(id: $id) { metrics { id metric value n estimator status params } } }",
        {"id": version.id},
    )["data"]["version"]["metrics"]
    assert sorted(table["id"]) == sorted(r["id"] for r in raw)
    for r in raw:
        row = table.set_index("id").loc[r["id"]]
        assert (row["metric"], row["value"], row["n"], row["estimator"], row["status"], row["params"]) == (
            r["metric"],
            r["value"],
            r["n"],
            r["estimator"],
            r["status"],
            r["params"],
        )
    only = catalog.metrics(version, keys=["complexity.steps"])
    assert list(only["metric"]) == ["complexity.steps"]


def test_compute_with_params_and_without_waiting(catalog, version):
    job = catalog.compute(version, ["complexity.length"], {"field": "prompt"}, wait=False)
    assert isinstance(job, Job) and job.kind == "metrics.compute" and not job.finished
    done = catalog.wait(job, progress=False)
    assert done.status == "SUCCEEDED"
    (result,) = done.metric_results
    assert result["value"] == pytest.approx(2.0)  # "question N" is two tokens
    assert result["params"]["field"] == "prompt"


def test_compute_bad_input(catalog, version):
    with pytest.raises(BadInputError) as info:
        catalog.compute(version, ["complexity.no_such_metric"])
    assert info.value.code == "BAD_USER_INPUT" and "complexity.length" in info.value.message
    with pytest.raises(BadInputError, match="field"):
        catalog.compute(version, ["complexity.length"], {"field": "nowhere"})
    with pytest.raises(BadInputError):
        catalog.metrics("not-an-id")


def test_samples_with_score_columns(catalog, version):
    catalog.compute(version, ["complexity.length", "complexity.steps"], progress=False)
    frame = catalog.samples(version, scores=["complexity.length", "complexity.steps"]).to_pandas()
    assert list(frame.columns[-2:]) == ["complexity.length", "complexity.steps"]
    assert frame["complexity.length"].dtype == float
    assert list(frame["complexity.length"]) == [tokens(r) for r in RESPONSES]
    assert list(frame["complexity.steps"]) == [steps(r) for r in RESPONSES]
    rows = list(catalog.samples(version, scores="complexity.steps"))
    assert [r["scores"]["complexity.steps"] for r in rows] == [steps(r) for r in RESPONSES]
    # gzip on the wire (the default for remote servers) decodes to the same frame.
    gzipped = Catalog(catalog.url, api_key=catalog.api_key, compress=True)
    pd.testing.assert_frame_equal(
        gzipped.samples(version, scores=["complexity.length", "complexity.steps"]).to_pandas(), frame
    )


def test_a_stream_shorter_than_the_version_raises():
    """A server that sends fewer lines than its x-qdc-sample-count header: TransportError, not a short frame."""

    class Short(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"prompt":"a","response":null,"reference":null,"messages":null,"metadata":null}\n'
            self.send_response(200)
            self.send_header("content-type", "application/x-ndjson")
            self.send_header("x-qdc-sample-count", "3")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Short)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        short = Catalog(f"http://127.0.0.1:{httpd.server_port}")
        with pytest.raises(TransportError, match="after 1 of 3 samples"):
            short.samples("some-version-id").to_pandas()
    finally:
        httpd.shutdown()


def test_score_column_without_a_result_is_bad_user_input(catalog, version):
    with pytest.raises(BadInputError) as info:
        catalog.samples(version, scores=["complexity.readability"]).to_pandas()
    assert info.value.status == 400 and "complexity.readability" in info.value.message


def test_push_scores_series_then_read_them_back(catalog, gql, version):
    pushed = catalog.push_scores(
        version, {"name": "toy-rm", "model": "toy-1"}, pd.Series([0.5, -1.0, 2.25], index=[0, 2, 3])
    )
    assert pushed.recorded == 3
    assert pushed.result["metric"] == "external:toy-rm" and pushed.result["status"] == "PARTIAL"
    assert pushed.result["value"] == pytest.approx((0.5 - 1.0 + 2.25) / 3)
    frame = catalog.samples(version, scores=["external:toy-rm"]).to_pandas()
    values = list(frame["external:toy-rm"])
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2:] == [-1.0, 2.25]
    raw = gql(
        'query($id: ID!) { version(id: $id) { sampleScores(metric: "external:toy-rm") { edges { node { ordinal value } } } } }',
        {"id": version.id},
    )["data"]["version"]["sampleScores"]["edges"]
    assert [(e["node"]["ordinal"], e["node"]["value"]) for e in raw] == [(0, 0.5), (2, -1.0), (3, 2.25)]

    # The other accepted shapes: a list (position = ordinal), a dict, a DataFrame with sample ids.
    full = catalog.push_scores(version.ref, "toy-rm", [1.0, 2.0, 3.0, 4.0])
    assert full.recorded == 4 and full.result["status"] == "COMPLETE" and full.result["value"] == pytest.approx(2.5)
    assert catalog.push_scores(version, "toy-rm", {1: 10.0}).result["value"] == pytest.approx((1 + 10 + 3 + 4) / 4)
    sample_ids = [
        e["node"]["id"]
        for e in gql(
            "query($id: ID!) { version(id: $id) { samples { edges { node { id } } } } }", {"id": version.id}
        )["data"]["version"]["samples"]["edges"]
    ]
    by_id = pd.DataFrame({"sample": sample_ids[:2], "value": [7.0, 8.0]})
    assert catalog.push_scores(version, "other", by_id).result["value"] == pytest.approx(7.5)


def test_bad_scores_store_nothing(catalog, version):
    catalog.push_scores(version, "strict", [1.0, 1.0, 1.0, 1.0])
    with pytest.raises(BadInputError) as info:
        catalog.push_scores(version, "strict", {0: 5.0, 9: 5.0})
    assert info.value.status == 400 and "nothing was stored" in info.value.message
    with pytest.raises(ValueError, match="finite"):
        catalog.push_scores(version, "strict", pd.Series([5.0, float("nan")]))
    with pytest.raises(ValueError, match="value"):
        catalog.push_scores(version, "strict", pd.DataFrame({"score": [1.0]}))
    with pytest.raises(BadInputError):
        catalog.push_scores("not-an-id", "strict", [1.0])
    with pytest.raises(NotFoundError):
        catalog.push_scores("no-such-dataset-here@1", "strict", [1.0])
    (row,) = catalog.metrics(version, keys=["external:strict"]).itertuples()
    assert row.value == 1.0 and row.n == 4


def test_compare_versions(catalog, slug):
    v1 = catalog.ingest(SAMPLES, dataset=slug, create=True).version
    v2 = catalog.ingest(SAMPLES[:2], dataset=slug).version
    for v in (v1, v2):
        catalog.compute(v, ["complexity.length", "complexity.steps"], progress=False)
    wide = catalog.compare([v1, v2.ref], ["complexity.length", "complexity.steps"])
    assert list(wide.index) == [v1.ref, v2.ref] and list(wide.columns) == ["complexity.length", "complexity.steps"]
    expected = [
        [sum(map(tokens, RESPONSES)) / 4, sum(map(steps, RESPONSES)) / 4],
        [sum(map(tokens, RESPONSES[:2])) / 2, sum(map(steps, RESPONSES[:2])) / 2],
    ]
    assert [pytest.approx(row) for row in expected] == wide.values.tolist()
    assert wide.attrs["warnings"] == [] and wide.attrs["comparable"]["complexity.length"][v2.ref] is True
    long = catalog.compare([v1, v2], ["complexity.length"], long=True)
    assert list(long["version"]) == [v1.ref, v2.ref] and list(long["n"]) == [4, 2]
    with pytest.raises(NotFoundError):
        catalog.compare([f"{slug}@9"], ["complexity.length"])


def test_pareto_frontier_matches_a_naive_one(catalog, slug):
    texts = [RESPONSES, RESPONSES[:2], ["x y z w v u"], ["p\nq\nr\ns", "t"]]
    points = {}
    for t in texts:
        v = catalog.ingest([{"prompt": "q", "response": r} for r in t], dataset=slug, create=True).version
        catalog.compute(v, ["complexity.length", "complexity.steps"], progress=False)
        points[v.ref] = (sum(map(tokens, t)) / len(t), sum(map(steps, t)) / len(t))
    frame = catalog.pareto(
        {"metric": "complexity.length", "direction": "HIGHER_IS_BETTER"},
        {"metric": "complexity.steps", "direction": "HIGHER_IS_BETTER"},
        scope={"datasets": [slug]},
    )

    def dominated(p):
        return any(q[0] >= p[0] and q[1] >= p[1] and q != p for q in points.values())

    assert sorted(frame["version"]) == sorted(points)
    assert {r: on for r, on in zip(frame["version"], frame["on_frontier"])} == {
        r: not dominated(p) for r, p in points.items()
    }
    for r, x, y in zip(frame["version"], frame["x"], frame["y"]):
        assert (x, y) == pytest.approx(points[r])
    assert frame.attrs["x_direction"] == "HIGHER_IS_BETTER" and frame.attrs["excluded"] == []
    with pytest.raises(BadInputError):
        catalog.pareto("complexity.length", "complexity.steps", scope={"datasets": [slug]})
    with pytest.raises(ValueError):
        catalog.pareto("complexity.length", "complexity.steps", scope={"dataset": [slug]})


def test_a_large_score_push_refused_early_still_gets_its_error(catalog, version):
    scores = {0: 1.0, 99: 2.0, **{i: 0.5 for i in range(100, 400_000)}}  # about 10 MB of JSONL
    with pytest.raises(BadInputError) as info:
        catalog.push_scores(version, "big", scores)
    assert info.value.status == 400 and "nothing was stored" in info.value.message
    assert catalog.metrics(version, keys=["external:big"]).empty


def test_compute_draws_a_tqdm_bar_when_tqdm_is_installed(catalog, version, capsys):
    pytest.importorskip("tqdm")
    job = catalog.compute(version, ["complexity.length"], wait=False)
    done = catalog.wait(job)
    err = capsys.readouterr().err
    total = done.progress["total"]
    assert done.progress["done"] == total and total >= 4
    assert re.search(rf"metrics\.compute: 100%\|[^|]*\| {total}/{total} ", err), err
    catalog.compute(version, ["complexity.length"], progress=False)
    assert capsys.readouterr().err == ""
