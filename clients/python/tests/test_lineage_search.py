"""Lineage as (nodes, edges) and networkx, embeddings and vector search, against raw GraphQL."""
from __future__ import annotations

import networkx as nx
import pytest

from qdc_catalog import BadInputError, Job, NotFoundError


def make_chain(catalog, slug):
    seed = catalog.ingest([{"prompt": "Seed task one", "response": "a"}], dataset=slug + "-seed", create=True).version
    gen = catalog.ingest(
        [{"prompt": "Generated task one", "response": "b"}, {"prompt": "Generated task two", "response": "c"}],
        dataset=slug + "-gen",
        create=True,
    ).version
    filtered = catalog.ingest([{"prompt": "Generated task one", "response": "b"}], dataset=slug + "-gen").version
    catalog.record_run(gen, [(seed, "SEED")], algorithm="self-instruct", generator_model="gpt-4-0613", params={"t": 0.7})
    catalog.record_run(filtered.ref, [(gen.ref, "FILTERED_FROM")], params={"rule": "length"})
    return seed, gen, filtered


def test_lineage_upstream_nodes_edges_and_networkx(catalog, gql, slug):
    seed, gen, filtered = make_chain(catalog, slug)
    nodes, edges = catalog.lineage(filtered)
    assert [(n["ref"], n["degree"]) for n in nodes] == [(filtered.ref, 0), (gen.ref, 1), (seed.ref, 2)]
    raw = gql(
        "query($in: LineageInput!) { lineage(input: $in) { isPartial nodes { degree direction version { id } }"
        " edges { role from { id } to { id } run { generatorModel params algorithm { key } } } } }",
        {"in": {"version": filtered.id}},
    )["data"]["lineage"]
    assert [(n["id"], n["degree"], n["direction"]) for n in nodes[1:]] == [
        (n["version"]["id"], n["degree"], n["direction"]) for n in raw["nodes"]
    ]
    assert sorted((e["source_id"], e["target_id"], e["role"]) for e in edges) == sorted(
        (e["from"]["id"], e["to"]["id"], e["role"]) for e in raw["edges"]
    )
    seed_edge = next(e for e in edges if e["role"] == "SEED")
    assert (seed_edge["source"], seed_edge["target"]) == (seed.ref, gen.ref)
    assert (seed_edge["algorithm"], seed_edge["generator_model"], seed_edge["params"]) == ("self-instruct", "gpt-4-0613", {"t": 0.7})

    graph = catalog.lineage(filtered).to_networkx()
    assert isinstance(graph, nx.MultiDiGraph)
    assert nx.ancestors(graph, filtered.ref) == {seed.ref, gen.ref}
    assert sorted(graph.edges(keys=True)) == sorted([(seed.ref, gen.ref, "SEED"), (gen.ref, filtered.ref, "FILTERED_FROM")])
    assert graph.nodes[gen.ref]["degree"] == 1 and graph.graph["is_partial"] is False


def test_lineage_downstream_and_bounds(catalog, slug):
    seed, gen, filtered = make_chain(catalog, slug)
    down = catalog.lineage(seed.ref, direction="downstream")
    assert [n["ref"] for n in down.nodes] == [seed.ref, gen.ref, filtered.ref]
    assert {n["direction"] for n in down.nodes[1:]} == {"DOWNSTREAM"}
    short = catalog.lineage(filtered, depth=1)
    assert [n["ref"] for n in short.nodes] == [filtered.ref, gen.ref]
    assert short.is_partial is True and short.nodes[1]["truncated"] is True
    with pytest.raises(BadInputError):
        catalog.lineage(filtered, depth=11)
    with pytest.raises(BadInputError, match="(?i)cycle|ancestor"):
        catalog.record_run(seed, [(filtered, "SOURCE")])
    with pytest.raises(NotFoundError):
        catalog.lineage(f"{slug}-seed@5")


def test_embed_and_search(catalog, gql, slug):
    texts = ["How do volcanoes erupt?", "Write a haiku about autumn leaves.", "Sum the numbers 3 and 4."]
    v = catalog.ingest([{"prompt": t, "response": "r"} for t in texts], dataset=slug, create=True).version
    job = catalog.embed(v, progress=False)
    assert isinstance(job, Job) and job.status == "SUCCEEDED" and job.kind.startswith("embed")
    hits = catalog.search("Write a haiku about autumn leaves.\nr", k=3, scope={"versions": [v]})
    assert len(hits) == 3 and hits[0]["ordinal"] == 1 and hits[0]["version"] == v.ref
    assert hits[0]["similarity"] == pytest.approx(1.0, abs=1e-5)
    raw = gql(
        "query($q: String!, $s: SampleSearchScope) { searchSamples(query: $q, k: 3, scope: $s) { exact space { key }"
        " hits { distance sample { id } } } }",
        {"q": "Write a haiku about autumn leaves.\nr", "s": {"versions": [v.id]}},
    )["data"]["searchSamples"]
    assert [(h["sample_id"], h["distance"]) for h in hits] == [(h["sample"]["id"], h["distance"]) for h in raw["hits"]]
    assert hits.space == raw["space"]["key"] and hits.exact == raw["exact"]
    frame = hits.to_pandas()
    assert list(frame["ordinal"]) == [h["ordinal"] for h in hits]

    by_dataset = catalog.search("volcanoes", k=1, scope={"datasets": [slug]})
    assert by_dataset[0]["prompt"] == texts[0]
    catalog.compute(v, ["complexity.length"], {"field": "prompt"}, progress=False)
    long_only = catalog.search("volcanoes", k=3, scope={"versions": [v.ref], "scores": [("complexity.length", ">=", 6)]})
    assert {h["prompt"] for h in long_only} == {t for t in texts if len(t.split()) >= 6}
    with pytest.raises(BadInputError):
        catalog.search("volcanoes", k=0)
    with pytest.raises(ValueError):
        catalog.search("volcanoes", scope={"scores": [("complexity.length", "==", 1)]})
    with pytest.raises(NotFoundError):
        catalog.search("volcanoes", scope={"datasets": ["no-such-dataset-here"]})
