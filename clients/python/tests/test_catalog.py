"""Datasets, versions and bulk ingest against a real server, checked against raw GraphQL."""
from __future__ import annotations

import gzip
import json
import os

import pandas as pd
import pytest

from qdc_catalog import (
    AuthenticationError,
    BadInputError,
    Catalog,
    GraphQLError,
    NotFoundError,
    TransportError,
    UnsupportedMediaTypeError,
)

SAMPLES = [
    {"prompt": "What is 2 + 2?", "response": "2 + 2 = 4\nThe answer is 4", "reference": "4"},
    {"prompt": "Name a colour.", "response": "blue"},
    {"prompt": "Translate: cat", "response": "chat (French)", "metadata": {"source": "hand"}},
]


def graphql_version(gql, slug, samples):
    body = gql(
        "mutation($in: CreateVersionInput!) { createVersion(input: $in) { created version { id contentHash sampleCount } } }",
        {"in": {"dataset": slug, "samples": samples}},
    )
    assert "errors" not in body, body
    return body["data"]["createVersion"]["version"]


def test_create_dataset_and_read_it_back(catalog, gql, slug):
    created = catalog.create_dataset(
        slug, "Test set", task="math-reasoning", license="MIT", tags=["a", "py"], card={"k": [1, 2]}
    )
    assert (created.slug, created.name, created.task, created.license) == (slug, "Test set", "math-reasoning", "MIT")
    assert created.tags == ["a", "py"] and created.card == {"k": [1, 2]}
    assert created.latest_version is None
    raw = gql("query($s: String!) { dataset(slug: $s) { id name tags card } }", {"s": slug})["data"]["dataset"]
    got = catalog.dataset(slug)
    assert got.id == raw["id"] == created.id
    assert (got.name, got.tags, got.card) == (raw["name"], raw["tags"], raw["card"])


def test_datasets_lists_and_filters(catalog, gql, slug):
    catalog.create_dataset(slug, tags=["only-" + slug])
    catalog.create_dataset(slug + "-b", task="other")
    tagged = catalog.datasets(tag="only-" + slug)
    assert [d.slug for d in tagged] == [slug]
    everything = catalog.datasets()
    total = gql("{ datasets { totalCount } }")["data"]["datasets"]["totalCount"]
    assert len(everything) == total and {slug, slug + "-b"} <= {d.slug for d in everything}
    frame = everything.to_pandas()
    assert list(frame["slug"]) == [d.slug for d in everything]
    assert frame.loc[frame["slug"] == slug + "-b", "task"].item() == "other"


def test_taken_slug_is_bad_user_input(catalog, slug):
    catalog.create_dataset(slug)
    with pytest.raises(BadInputError) as info:
        catalog.create_dataset(slug)
    assert info.value.code == "BAD_USER_INPUT"
    assert slug in info.value.message


def test_unknown_slug_is_not_found(catalog):
    with pytest.raises(NotFoundError) as info:
        catalog.dataset("no-such-dataset-anywhere")
    assert info.value.code == "NOT_FOUND"
    with pytest.raises(NotFoundError):
        catalog.versions("no-such-dataset-anywhere")
    with pytest.raises(NotFoundError) as info:
        catalog.version("no-such-dataset-anywhere@1")
    assert info.value.code == "NOT_FOUND"


def test_ingest_records_matches_graphql_content_hash(catalog, gql, slug):
    catalog.create_dataset(slug)
    result = catalog.ingest(SAMPLES, dataset=slug)
    assert result.created and result.records == 3 and result.ingested == 3 and result.rejected == 0
    assert result.version.version == 1 and result.version.sample_count == 3
    catalog.create_dataset(slug + "-gql")
    reference = graphql_version(gql, slug + "-gql", SAMPLES)
    assert result.version.content_hash == reference["contentHash"]
    again = catalog.ingest(iter(SAMPLES), dataset=slug)
    assert not again.created and again.version.id == result.version.id


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "json", "dataframe", "fileobj"])
def test_ingest_every_source_gives_the_same_version(catalog, gql, slug, tmp_path, kind):
    catalog.create_dataset(slug + "-ref")
    reference = graphql_version(gql, slug + "-ref", SAMPLES)
    lines = "".join(json.dumps(s) + "\n" for s in SAMPLES).encode()
    if kind == "jsonl":
        (tmp_path / "s.jsonl").write_bytes(lines)
        source = tmp_path / "s.jsonl"
    elif kind == "jsonl.gz":
        (tmp_path / "s.jsonl.gz").write_bytes(gzip.compress(lines))
        source = str(tmp_path / "s.jsonl.gz")
    elif kind == "json":
        (tmp_path / "s.json").write_text(json.dumps(SAMPLES))
        source = str(tmp_path / "s.json")
    elif kind == "dataframe":
        # Columns a row lacks are NaN in a DataFrame; they must arrive as absent/null, not "NaN".
        source = pd.DataFrame(SAMPLES)
    else:
        source = open_bytes(lines)
    result = catalog.ingest(source, dataset=slug, create=True)
    assert result.created and result.version.sample_count == 3
    assert result.version.content_hash == reference["contentHash"]
    assert result.container == ("json-array" if kind == "json" else "jsonl")


def open_bytes(data):
    import io

    return io.BytesIO(data)


def test_ingest_named_format_and_mapping(catalog, slug):
    rows = [{"instruction": "Summarize.", "input": "A long text.", "output": "Short."}]
    result = catalog.ingest(rows, dataset=slug, format="alpaca", create={"name": "Alpaca rows"})
    assert result.format == "alpaca"
    assert catalog.dataset(slug).name == "Alpaca rows"
    (sample,) = list(catalog.samples(result.version))
    assert sample["prompt"] == "Summarize.\n\nA long text." and sample["response"] == "Short."
    mapped = catalog.ingest(
        [{"q": {"text": "Capital of France?"}, "a": "Paris"}],
        dataset=slug,
        format="mapping",
        map={"prompt": "q.text", "response": "a"},
    )
    (sample,) = list(catalog.samples(mapped.version))
    assert (sample["prompt"], sample["response"]) == ("Capital of France?", "Paris")


def test_bad_record_fails_with_its_line_and_writes_nothing(catalog, slug, tmp_path):
    catalog.create_dataset(slug)
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "ok", "response": "fine"}\n{"prompt": \n{"prompt": "also ok"}\n')
    with pytest.raises(BadInputError) as info:
        catalog.ingest(path, dataset=slug)
    assert info.value.code == "BAD_USER_INPUT" and info.value.status == 400
    assert "line 2" in info.value.message
    assert len(catalog.versions(slug)) == 0
    skipped = catalog.ingest(path, dataset=slug, on_error="skip")
    assert (skipped.records, skipped.ingested, skipped.rejected) == (3, 2, 1)
    assert skipped.rejections[0]["line"] == 2


def test_ingest_bad_arguments(catalog, slug):
    catalog.create_dataset(slug)
    with pytest.raises(NotFoundError) as info:
        catalog.ingest(SAMPLES, dataset=slug + "-missing")
    assert info.value.code == "NOT_FOUND"
    with pytest.raises(BadInputError) as info:
        catalog.ingest(SAMPLES, dataset=slug, format="no-such-format")
    assert info.value.status == 400 and "no-such-format" in info.value.message
    with pytest.raises(BadInputError):
        catalog.ingest(SAMPLES, dataset=slug, on_error="ignore")
    with pytest.raises(ValueError, match="record 1"):
        catalog.ingest([SAMPLES[0], {"prompt": float("nan")}], dataset=slug)
    with pytest.raises(TypeError):
        catalog.ingest(42, dataset=slug)
    assert len(catalog.versions(slug)) == 0


def test_versions_by_ref_and_id(catalog, gql, slug):
    first = catalog.ingest(SAMPLES[:2], dataset=slug, create=True).version
    second = catalog.ingest(SAMPLES, dataset=slug).version
    assert catalog.version(f"{slug}@1") == first
    assert catalog.version(first.id) == first
    assert catalog.version(f"{slug}@latest") == second
    assert second.ref == f"{slug}@2"
    raw = gql("query($id: ID!) { version(id: $id) { contentHash byteSize sampleCount } }", {"id": second.id})
    raw = raw["data"]["version"]
    assert (second.content_hash, second.byte_size, second.sample_count) == (
        raw["contentHash"],
        raw["byteSize"],
        raw["sampleCount"],
    )
    assert [v.version for v in catalog.versions(slug)] == [2, 1]
    assert catalog.dataset(slug).latest_version == 2
    with pytest.raises(NotFoundError, match="no version 7"):
        catalog.version(f"{slug}@7")
    with pytest.raises(BadInputError) as info:
        catalog.version("not-a-real-id")
    assert info.value.code == "BAD_USER_INPUT"
    with pytest.raises(ValueError):
        catalog.version(f"{slug}@zero")


def test_without_key_is_unauthenticated(server):
    anonymous = Catalog(server.url, api_key="")
    with pytest.raises(AuthenticationError) as info:
        anonymous.datasets()
    assert info.value.code == "UNAUTHENTICATED"
    wrong = Catalog(server.url, api_key="qdc_nokey_secret")
    with pytest.raises(AuthenticationError) as info:
        list(wrong.samples("RGF0YXNldFZlcnNpb246MQ"))
    assert info.value.code == "UNAUTHENTICATED" and info.value.status == 401


def test_invalid_operation_and_unreachable_server(catalog):
    with pytest.raises(GraphQLError) as info:
        catalog.graphql("{ noSuchField }")
    assert info.value.code == "GRAPHQL_VALIDATION_FAILED" and info.value.status == 400
    with pytest.raises(TransportError):
        Catalog("http://127.0.0.1:9", api_key="x").datasets()


def test_wrong_content_type_is_a_typed_http_error(catalog, slug):
    catalog.create_dataset(slug)
    with pytest.raises(UnsupportedMediaTypeError) as info:
        catalog._request("POST", f"/v1/datasets/{slug}/versions", headers={"content-type": "text/csv"}, data=b"a,b\n")
    assert info.value.status == 415 and info.value.code == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("kind", ["file", "gzip", "records"])
def test_a_large_upload_refused_early_still_gets_its_error(catalog, slug, tmp_path, kind):
    """requests sends the whole body before reading: the server must answer, not reset, after line 2."""
    catalog.create_dataset(slug)
    good = json.dumps({"prompt": "p " * 40, "response": "r " * 40}) + "\n"
    text = '{"prompt": "ok"}\n{"prompt": \n' + good * 60_000  # about 10 MB
    if kind == "file":
        (tmp_path / "big.jsonl").write_text(text)
        source = tmp_path / "big.jsonl"
    elif kind == "gzip":
        # Random text, so the compressed body is still megabytes.
        noise = "".join(json.dumps({"prompt": os.urandom(48).hex()}) + "\n" for _ in range(60_000))
        (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(('{"prompt": "ok"}\n{"prompt": \n' + noise).encode(), 1))
        source = tmp_path / "big.jsonl.gz"
    else:
        source = [{"prompt": "ok"}, {"prompt": ""}] + [{"prompt": "p " * 40, "response": "r " * 40}] * 60_000
    with pytest.raises(BadInputError) as info:
        catalog.ingest(source, dataset=slug)
    assert info.value.status == 400 and "line 2" in info.value.message
    assert info.value.extensions.get("line") == 2
    assert len(catalog.versions(slug)) == 0
