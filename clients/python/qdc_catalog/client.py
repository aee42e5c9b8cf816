"""``Catalog``: the qdc-catalog API from Python, with pandas DataFrames where the data is a table.

GraphQL (``/graphql``) for reads and small writes; the bulk routes (``/v1/...``) for files, sample
exports and score pushes, streamed both ways so memory stays bounded whatever the size.
"""
from __future__ import annotations

import json
import math
import os
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote, urlencode, urlsplit

import requests

from .errors import (
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    QdcError,
    TransportError,
    error_from_body,
)
from .types import (
    Dataset,
    IngestResult,
    Job,
    Lineage,
    RecordList,
    ScoresPushed,
    Version,
    require_pandas,
)

VersionLike = Union[str, Version]
ProgressArg = Union[bool, Callable[[Job], None]]

_DATASET_FIELDS = (
    "id slug name description task domain license sourceUri tags card createdAt updatedAt "
    "latestVersion { id version }"
)
_VERSION_FIELDS = "id version contentHash sampleCount byteSize status createdAt dataset { slug }"
_RESULT_FIELDS = (
    "id metric value n samplesDone estimator seed sampleSize params paramsHash status statusReason "
    "details computedAt createdAt definition { version } scorer { name model version }"
)
_JOB_FIELDS = (
    "id kind status payload error result progress { done total fraction perSecond etaSeconds } "
    f"metricResults {{ {_RESULT_FIELDS} }}"
)
_SAMPLE_FIELDS = ("prompt", "response", "reference", "messages", "metadata")
_RESULT_COLUMNS = [
    "metric",
    "value",
    "n",
    "estimator",
    "seed",
    "sample_size",
    "params",
    "status",
    "status_reason",
    "details",
    "definition_version",
    "scorer",
    "samples_done",
    "computed_at",
    "id",
]
_OPS = {">": "GT", ">=": "GTE", "<": "LT", "<=": "LTE", "GT": "GT", "GTE": "GTE", "LT": "LT", "LTE": "LTE"}
_CHUNK_BYTES = 1 << 20


def _result_row(r: Dict[str, Any]) -> Dict[str, Any]:
    """A MetricResult as a flat row with snake_case columns."""
    scorer = r.get("scorer")
    return {
        "metric": r["metric"],
        "value": r.get("value"),
        "n": r.get("n"),
        "estimator": r.get("estimator"),
        "seed": r.get("seed"),
        "sample_size": r.get("sampleSize"),
        "params": r.get("params"),
        "status": r.get("status"),
        "status_reason": r.get("statusReason"),
        "details": r.get("details"),
        "definition_version": (r.get("definition") or {}).get("version"),
        "scorer": scorer,
        "samples_done": r.get("samplesDone"),
        "computed_at": r.get("computedAt"),
        "id": r["id"],
    }


def _results_frame(results: Sequence[Dict[str, Any]]):
    pd = require_pandas("metrics()")
    return pd.DataFrame([_result_row(r) for r in results], columns=_RESULT_COLUMNS)


class SampleStream:
    """The samples of one version as streamed JSONL, in ordinal order.

    Iterate it for one dict per sample (``prompt``, ``response``, ``reference``, ``messages``,
    ``metadata`` and, when scores were asked for, ``scores``: ``{metric: value or None}``), or call
    ``to_pandas()`` for a DataFrame. Each iteration makes a new request. A stream that ends before
    the version's sample count (a cut connection) raises TransportError: a short result is never
    returned silently.
    """

    def __init__(self, catalog: "Catalog", version_id: str, scores: Sequence[str]):
        self._catalog = catalog
        self.version_id = version_id
        self.scores = list(scores)

    def _lines(self) -> Iterator[bytes]:
        query = f"?{urlencode({'scores': ','.join(self.scores)})}" if self.scores else ""
        path = f"/v1/versions/{quote(self.version_id, safe='')}/samples.jsonl{query}"
        encoding = "gzip" if self._catalog._compress_downloads() else "identity"
        response = self._catalog._request("GET", path, stream=True, headers={"accept-encoding": encoding})
        expected = response.headers.get("x-qdc-sample-count")
        count = 0
        try:
            rest = b""
            for chunk in response.iter_content(_CHUNK_BYTES):
                if not chunk:
                    continue
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                count += len(lines)
                yield from lines
            if rest.strip():
                count += 1
                yield rest
        except requests.RequestException as error:
            raise TransportError(f"the sample stream of version {self.version_id} broke off: {error}") from error
        finally:
            response.close()
        if expected is not None and count != int(expected):
            raise TransportError(
                f"the sample stream of version {self.version_id} ended after {count} of {expected} samples"
            )

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        loads = json.loads
        for line in self._lines():
            yield loads(line)

    def to_pandas(self):
        """A DataFrame indexed by ``ordinal``: the sample fields, then one float column per score.

        Score columns are named by metric key (``complexity.length``, ``external:<scorer>``) and
        hold NaN where a sample has no score. ``messages`` and ``metadata`` hold Python objects.
        """
        pd = require_pandas("samples().to_pandas()")
        import numpy as np  # noqa: PLC0415 - pandas depends on numpy

        loads = json.loads
        columns: Dict[str, List[Any]] = {name: [] for name in _SAMPLE_FIELDS}
        score_columns: Dict[str, List[Any]] = {m: [] for m in self.scores}
        appenders = [(name, columns[name].append) for name in _SAMPLE_FIELDS]
        score_appenders = [(m, score_columns[m].append) for m in self.scores]
        for line in self._lines():
            row = loads(line)
            for name, append in appenders:
                append(row[name])
            if score_appenders:
                scores = row["scores"]
                for metric, append in score_appenders:
                    append(scores[metric])
        data: Dict[str, Any] = dict(columns)
        for metric, values in score_columns.items():
            data[metric] = np.array(values, dtype=float)
        n = len(columns["prompt"])
        return pd.DataFrame(data, index=pd.RangeIndex(n, name="ordinal"))


class Catalog:
    """A connection to a qdc-catalog server.

    Args:
        url: the server's base URL (``http://127.0.0.1:4000``; a trailing ``/graphql`` is
            accepted). Default: ``$QDC_URL``, else ``http://127.0.0.1:4000``.
        api_key: sent as ``Authorization: Bearer <key>``. Default: ``$QDC_API_KEY`` if set.
        timeout: seconds to wait for a GraphQL response (default 60). Bulk transfers (ingest,
            sample export, score push) wait as long as the server works.
        session: a ``requests.Session`` to reuse (default: a new one).
        compress: ask for gzip on sample exports. Default (None): only when the server is not on
            this machine, since on loopback compressing costs the server more time than the
            smaller transfer saves (bench/python).

    Every call that fails raises a :class:`~qdc_catalog.errors.QdcError` subclass carrying the
    server's ``extensions.code`` and the HTTP status; nothing is swallowed. Wherever a version is
    asked for, give a :class:`Version`, a ``"slug@N"`` reference or a global version id.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        *,
        timeout: float = 60.0,
        session: Optional[requests.Session] = None,
        compress: Optional[bool] = None,
    ) -> None:
        base = url or os.environ.get("QDC_URL") or "http://127.0.0.1:4000"
        base = base.rstrip("/")
        if base.endswith("/graphql"):
            base = base[: -len("/graphql")]
        self.url = base
        self.api_key = api_key if api_key is not None else os.environ.get("QDC_API_KEY")
        self.timeout = timeout
        self._session = session or requests.Session()
        self.compress = compress

    def __repr__(self) -> str:
        return f"Catalog({self.url!r})"

    # ------------------------------------------------------------------ transport

    def _compress_downloads(self) -> bool:
        if self.compress is not None:
            return self.compress
        host = urlsplit(self.url).hostname or ""
        return not (host == "localhost" or host == "::1" or host.startswith("127."))

    def _headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        headers = {"authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        headers.update(extra or {})
        return headers

    def _request(
        self, method: str, path: str, *, headers: Optional[Mapping[str, str]] = None, **kwargs: Any
    ) -> requests.Response:
        """Sends one request to a /v1 route; a non-2xx answer raises the typed error it carries."""
        kwargs.setdefault("timeout", (30, None))
        try:
            response = self._session.request(method, self.url + path, headers=self._headers(headers), **kwargs)
        except requests.RequestException as error:
            raise TransportError(f"{method} {self.url}{path.split('?')[0]} failed: {error}") from error
        if response.status_code >= 400:
            text = response.text
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            fallback = f"{method} {path.split('?')[0]} answered HTTP {response.status_code}: {text[:300]}"
            raise error_from_body(body, response.status_code, fallback)
        return response

    def graphql(self, query: str, variables: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """Runs a GraphQL operation and returns its ``data``.

        Any error in the response (even alongside partial data) raises the typed error of the
        first one, with all of them in ``.errors``.
        """
        try:
            response = self._session.post(
                self.url + "/graphql",
                json={"query": query, "variables": dict(variables or {})},
                headers=self._headers({"accept": "application/graphql-response+json, application/json"}),
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise TransportError(f"POST {self.url}/graphql failed: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("errors") or response.status_code >= 400 or "data" not in body:
            raise error_from_body(
                body,
                response.status_code,
                f"/graphql answered HTTP {response.status_code}: {response.text[:300]}",
            )
        return body["data"]

    # ------------------------------------------------------------------ catalog

    def datasets(
        self,
        *,
        task: Optional[str] = None,
        domain: Optional[str] = None,
        tag: Optional[str] = None,
        text: Optional[str] = None,
    ) -> RecordList:
        """Every dataset (newest first), optionally filtered; a list of :class:`Dataset`.

        ``text`` matches a case-insensitive substring of name or description. The list has
        ``to_pandas()``.
        """
        filt = {k: v for k, v in {"task": task, "domain": domain, "tag": tag, "text": text}.items() if v is not None}
        out = RecordList()
        after = None
        while True:
            data = self.graphql(
                f"query($first: Int, $after: String, $filter: DatasetFilter) {{"
                f" datasets(first: $first, after: $after, filter: $filter) {{"
                f" edges {{ node {{ {_DATASET_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
                {"first": 100, "after": after, "filter": filt or None},
            )["datasets"]
            out.extend(Dataset.from_graphql(e["node"]) for e in data["edges"])
            if not data["pageInfo"]["hasNextPage"]:
                return out
            after = data["pageInfo"]["endCursor"]

    def create_dataset(
        self,
        slug: str,
        name: Optional[str] = None,
        *,
        description: Optional[str] = None,
        task: Optional[str] = None,
        domain: Optional[str] = None,
        license: Optional[str] = None,
        source_uri: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        card: Any = None,
    ) -> Dataset:
        """Registers a dataset and returns it. ``name`` defaults to the slug.

        A taken or malformed slug raises BadInputError (``BAD_USER_INPUT``).
        """
        fields = {
            "slug": slug,
            "name": name if name is not None else slug,
            "description": description,
            "task": task,
            "domain": domain,
            "license": license,
            "sourceUri": source_uri,
            "tags": list(tags) if tags is not None else None,
            "card": card,
        }
        data = self.graphql(
            f"mutation($in: CreateDatasetInput!) {{ createDataset(input: $in) {{ {_DATASET_FIELDS} }} }}",
            {"in": {k: v for k, v in fields.items() if v is not None}},
        )
        return Dataset.from_graphql(data["createDataset"])

    def dataset(self, slug: str) -> Dataset:
        """The dataset with this slug; raises NotFoundError (``NOT_FOUND``) if there is none."""
        data = self.graphql(
            f"query($slug: String!) {{ dataset(slug: $slug) {{ {_DATASET_FIELDS} }} }}", {"slug": slug}
        )
        if data["dataset"] is None:
            raise NotFoundError(f'no dataset with slug "{slug}"', code="NOT_FOUND")
        return Dataset.from_graphql(data["dataset"])

    def versions(self, slug: str) -> RecordList:
        """Every version of a dataset, highest number first; a list of :class:`Version`."""
        out = RecordList()
        after = None
        while True:
            data = self.graphql(
                f"query($slug: String!, $after: String) {{ dataset(slug: $slug) {{"
                f" versions(first: 100, after: $after) {{ edges {{ node {{ {_VERSION_FIELDS} }} }}"
                f" pageInfo {{ hasNextPage endCursor }} }} }} }}",
                {"slug": slug, "after": after},
            )["dataset"]
            if data is None:
                raise NotFoundError(f'no dataset with slug "{slug}"', code="NOT_FOUND")
            out.extend(Version.from_graphql(e["node"]) for e in data["versions"]["edges"])
            if not data["versions"]["pageInfo"]["hasNextPage"]:
                return out
            after = data["versions"]["pageInfo"]["endCursor"]

    def version(self, ref: VersionLike) -> Version:
        """A version by ``"slug@N"``, ``"slug@latest"`` or global id (or a Version, re-read).

        Raises NotFoundError (``NOT_FOUND``) when the dataset or version does not exist and
        BadInputError (``BAD_USER_INPUT``) for a malformed id.
        """
        if isinstance(ref, Version):
            ref = ref.id
        if not isinstance(ref, str) or not ref:
            raise TypeError(f"a version is a Version, 'slug@N' or a version id, not {ref!r}")
        if "@" in ref:
            slug, _, number = ref.rpartition("@")
            if number == "latest":
                data = self.graphql(
                    f"query($slug: String!) {{ dataset(slug: $slug) {{ latestVersion {{ {_VERSION_FIELDS} }} }} }}",
                    {"slug": slug},
                )["dataset"]
                found = data and data["latestVersion"]
            else:
                if not number.isdigit() or int(number) < 1:
                    raise ValueError(f'"{ref}" is not a version reference: use slug@N (N >= 1), slug@latest or an id')
                data = self.graphql(
                    f"query($slug: String!, $n: Int!) {{ dataset(slug: $slug) {{ version(number: $n) {{ {_VERSION_FIELDS} }} }} }}",
                    {"slug": slug, "n": int(number)},
                )["dataset"]
                found = data and data["version"]
            if data is None:
                raise NotFoundError(f'no dataset with slug "{slug}"', code="NOT_FOUND")
            if not found:
                raise NotFoundError(f'dataset "{slug}" has no version {number}', code="NOT_FOUND")
            return Version.from_graphql(found)
        data = self.graphql(f"query($id: ID!) {{ version(id: $id) {{ {_VERSION_FIELDS} }} }}", {"id": ref})
        if data["version"] is None:
            raise NotFoundError(f'no version with id "{ref}"', code="NOT_FOUND")
        return Version.from_graphql(data["version"])

    def _version_id(self, ref: VersionLike) -> str:
        if isinstance(ref, Version):
            return ref.id
        if isinstance(ref, str) and "@" not in ref:
            return ref
        return self.version(ref).id

    # ------------------------------------------------------------------ bulk

    def ingest(
        self,
        source: Any,
        dataset: str,
        *,
        format: Optional[str] = None,
        map: Optional[Union[str, Mapping[str, str]]] = None,
        on_error: str = "fail",
        max_record_bytes: Optional[int] = None,
        create: Union[bool, Mapping[str, Any]] = False,
    ) -> IngestResult:
        """Streams samples into a new version of ``dataset`` through ``POST /v1/datasets/{slug}/versions``.

        ``source`` is a file path (``.jsonl``/``.ndjson``/``.json``, each optionally ``.gz``), a
        binary file object holding JSONL, a pandas DataFrame (one sample per row) or an iterable of
        dicts. Nothing is held in memory whole: files and records go up in 1 MiB chunks.

        ``format`` names the input format (``prompt_response``, ``alpaca``, ``openai``, ...;
        default: detected from the first record); ``map`` the fields for ``format="mapping"``
        (``{"prompt": "turns.0.content"}`` or ``"prompt=turns.0.content,..."``). ``on_error``:
        ``"fail"`` refuses the whole ingest at the first bad record (BadInputError naming its
        line), ``"skip"`` leaves bad records out and lists them in ``rejections``. ``create=True``
        (or a dict of :meth:`create_dataset` fields) registers the dataset first if it is missing.

        Returns an :class:`IngestResult`; ``created`` is False when identical content already
        existed (that version is returned).
        """
        # Checked first so an unknown slug is a clean NotFoundError, not a connection the server
        # closed while the body was still going up.
        try:
            self.dataset(dataset)
        except NotFoundError:
            if not create:
                raise
            self.create_dataset(dataset, **(dict(create) if isinstance(create, Mapping) else {}))
        params: Dict[str, str] = {"onError": on_error}
        if format:
            params["format"] = format
        if map:
            params["map"] = map if isinstance(map, str) else ",".join(f"{k}={v}" for k, v in map.items())
        if max_record_bytes is not None:
            params["maxRecordBytes"] = str(max_record_bytes)
        headers = {"content-type": "application/x-ndjson"}
        opened = None
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            name = path[:-3] if path.endswith(".gz") else path
            if path.endswith(".gz"):
                headers["content-encoding"] = "gzip"
            if name.endswith(".json"):
                headers["content-type"] = "application/json"
            opened = open(path, "rb")  # noqa: SIM115 - closed below
            body: Any = opened
        elif hasattr(source, "read"):
            body = source
        elif _is_dataframe(source):
            body = _dataframe_chunks(source)
        elif isinstance(source, Iterable) and not isinstance(source, (bytes, str, Mapping)):
            body = _record_chunks(source)
        else:
            raise TypeError(
                f"ingest() takes a path, a binary file, a DataFrame or an iterable of dicts, not {type(source).__name__}"
            )
        try:
            response = self._request(
                "POST",
                f"/v1/datasets/{quote(dataset, safe='')}/versions?{urlencode(params)}",
                headers=headers,
                data=body,
            )
        finally:
            if opened is not None:
                opened.close()
        return IngestResult.from_json(response.json())

    def samples(self, version: VersionLike, scores: Optional[Sequence[str]] = None) -> SampleStream:
        """The version's samples through ``GET /v1/versions/{id}/samples.jsonl``, as a :class:`SampleStream`.

        ``scores`` adds per-sample score columns, one per metric key (``complexity.length``,
        ``external:<scorer>``), from the newest complete or partial result that kept per-sample
        values. A metric without one raises BadInputError when the stream is read.
        """
        if isinstance(scores, str):
            scores = [scores]
        return SampleStream(self, self._version_id(version), scores or [])

    def push_scores(
        self,
        version: VersionLike,
        scorer: Union[str, Mapping[str, str]],
        scores: Any,
        *,
        model: Optional[str] = None,
        scorer_version: Optional[str] = None,
    ) -> ScoresPushed:
        """Stores per-sample scores computed elsewhere through ``POST /v1/versions/{id}/scores``.

        ``scorer`` is the scorer's name or ``{"name", "model", "version"}``. ``scores`` is a pandas
        Series (index = ordinal), a DataFrame with a ``value`` column and an ``ordinal`` or
        ``sample`` (sample id) column (else its index is the ordinal), a dict ``{ordinal: value}``,
        or a sequence of values (position = ordinal). They are aggregated into the result
        ``external:<name>``. All or nothing: a sample outside the version, a repeated sample or a
        value that is not finite refuses the whole push (NaN is refused here, before sending:
        drop missing scores first). Pushing a sample's score again replaces it.
        """
        if isinstance(scorer, Mapping):
            name = scorer["name"]
            model = scorer.get("model", model)
            scorer_version = scorer.get("version", scorer_version)
        else:
            name = scorer
        params = {"scorer": name}
        if model:
            params["model"] = model
        if scorer_version:
            params["scorerVersion"] = scorer_version
        vid = self._version_id(version)
        response = self._request(
            "POST",
            f"/v1/versions/{quote(vid, safe='')}/scores?{urlencode(params)}",
            headers={"content-type": "application/x-ndjson"},
            data=_chunks(json.dumps(s, allow_nan=False) for s in _score_records(scores)),
        )
        body = response.json()
        return ScoresPushed(recorded=body["recorded"], result=body["result"])

    # ------------------------------------------------------------------ metrics

    def metrics(self, version: VersionLike, keys: Optional[Sequence[str]] = None, *, include_running: bool = False):
        """The newest result per (metric, parameters) on a version, as a DataFrame.

        Columns: metric, value, n, estimator, seed, sample_size, params, status, status_reason,
        details, definition_version, scorer, samples_done, computed_at, id. ``keys`` keeps only
        those metric keys. An unknown version raises NotFoundError.
        """
        vid = self._version_id(version)
        data = self.graphql(
            f"query($id: ID!, $keys: [String!], $running: Boolean) {{ version(id: $id) {{"
            f" metrics(keys: $keys, includeRunning: $running) {{ {_RESULT_FIELDS} }} }} }}",
            {"id": vid, "keys": list(keys) if keys else None, "running": include_running},
        )["version"]
        if data is None:
            raise NotFoundError(f'no version with id "{vid}"', code="NOT_FOUND")
        return _results_frame(data["metrics"])

    def compute(
        self,
        version: VersionLike,
        metrics: Optional[Sequence[str]] = None,
        params: Optional[Mapping[str, Any]] = None,
        wait: bool = True,
        *,
        progress: ProgressArg = True,
        poll_interval: float = 0.5,
        timeout: Optional[float] = None,
    ):
        """Queues a metrics job on a version; with ``wait``, follows it and returns its results.

        ``metrics`` are keys of ``metricDefinitions`` (default: all); ``params`` maps a metric key
        to its parameters or a parameter name to a value for every metric that has it
        (``{"field": "prompt", "diversity.distinct_n": {"n": 1}}``). Unknown keys or parameters
        raise BadInputError before anything is queued.

        With ``wait=False`` returns the queued :class:`Job`. With ``wait=True`` polls it (drawing a
        tqdm bar when tqdm is installed and ``progress`` is True; ``progress`` may also be a
        callable given each Job state) and returns the job's results as a DataFrame (the columns
        of :meth:`metrics`). A FAILED job raises JobFailedError, a CANCELLED one
        JobCancelledError, and ``timeout`` seconds without an end JobTimeoutError. A metric that
        could not be computed (e.g. no text in the field) is a row with status FAILED and its
        ``status_reason``.
        """
        vid = self._version_id(version)
        data = self.graphql(
            f"mutation($v: ID!, $m: [String!], $p: JSON) {{ computeMetrics(version: $v, metrics: $m, params: $p) {{ {_JOB_FIELDS} }} }}",
            {"v": vid, "m": list(metrics) if metrics is not None else None, "p": dict(params) if params else None},
        )
        job = Job.from_graphql(data["computeMetrics"])
        if not wait:
            return job
        job = self.wait(job, progress=progress, poll_interval=poll_interval, timeout=timeout)
        return _results_frame(job.metric_results)

    def job(self, job_id: str) -> Job:
        """A job by id; raises NotFoundError when there is none."""
        data = self.graphql(f"query($id: ID!) {{ job(id: $id) {{ {_JOB_FIELDS} }} }}", {"id": job_id})
        if data["job"] is None:
            raise NotFoundError(f'no job with id "{job_id}"', code="NOT_FOUND")
        return Job.from_graphql(data["job"])

    def cancel(self, job: Union[Job, str]) -> Job:
        """Asks a job to stop (``cancelJob``): a queued job is cancelled at once, a running one at
        its next batch (its results stay PARTIAL). Returns the job; NotFoundError if unknown.
        With auth on, only the key that queued the job or an admin may: ForbiddenError otherwise."""
        job_id = job.id if isinstance(job, Job) else job
        data = self.graphql(f"mutation($id: ID!) {{ cancelJob(id: $id) {{ {_JOB_FIELDS} }} }}", {"id": job_id})
        return Job.from_graphql(data["cancelJob"])

    def wait(
        self,
        job: Union[Job, str],
        *,
        progress: ProgressArg = True,
        poll_interval: float = 0.5,
        timeout: Optional[float] = None,
    ) -> Job:
        """Polls a job until it ends and returns it SUCCEEDED; see :meth:`compute` for the rest."""
        job_id = job.id if isinstance(job, Job) else job
        started = time.monotonic()
        bar = _progress_bar(progress, job.kind if isinstance(job, Job) else "job")
        try:
            while True:
                current = self.job(job_id)
                if callable(progress):
                    progress(current)
                if bar is not None:
                    total = current.progress.get("total")
                    if total is not None and bar.total != total:
                        bar.total = total
                    bar.n = current.progress.get("done") or 0
                    bar.refresh()
                if current.finished:
                    break
                if timeout is not None and time.monotonic() - started > timeout:
                    raise JobTimeoutError(
                        f"job {job_id} is still {current.status} after {timeout} s (it keeps running)", current
                    )
                time.sleep(poll_interval)
        finally:
            if bar is not None:
                bar.close()
        if current.status == "FAILED":
            raise JobFailedError(f"job {job_id} failed: {current.error}", current)
        if current.status == "CANCELLED":
            raise JobCancelledError(f"job {job_id} was cancelled; its results are PARTIAL", current)
        return current

    def compare(
        self,
        versions: Sequence[VersionLike],
        metrics: Optional[Sequence[str]] = None,
        params: Optional[Mapping[str, Any]] = None,
        *,
        long: bool = False,
    ):
        """Versions x metrics through ``compareVersions``, as a DataFrame.

        Wide (default): one row per version (index: ``slug@N``, in the order given), one column
        per metric holding the value (NaN where there is none). ``df.attrs`` has ``warnings`` (every
        incomparable pair, in words), ``comparable`` and ``notes`` (``{metric: {ref: ...}}``).
        ``long=True``: one row per cell with version, metric, value, n, estimator, comparable, note.
        """
        pd = require_pandas("compare()")
        ids = [self._version_id(v) for v in versions]
        data = self.graphql(
            "query($v: [ID!]!, $m: [String!], $p: JSON) { compareVersions(versions: $v, metrics: $m, params: $p) {"
            " metrics warnings rows { version { id version dataset { slug } }"
            " cells { metric value n estimator comparable note } } } }",
            {"v": ids, "m": list(metrics) if metrics is not None else None, "p": dict(params) if params else None},
        )["compareVersions"]
        cells = []
        for row in data["rows"]:
            ref = f"{row['version']['dataset']['slug']}@{row['version']['version']}"
            for cell in row["cells"]:
                cells.append({"version": ref, "version_id": row["version"]["id"], **cell})
        if long:
            frame = pd.DataFrame(
                cells, columns=["version", "version_id", "metric", "value", "n", "estimator", "comparable", "note"]
            )
        else:
            refs = [f"{r['version']['dataset']['slug']}@{r['version']['version']}" for r in data["rows"]]
            frame = pd.DataFrame(
                {m: [_nan(c["value"]) for c in cells if c["metric"] == m] for m in data["metrics"]},
                index=pd.Index(refs, name="version"),
                columns=data["metrics"],
                dtype=float,
            )
            frame.attrs["comparable"] = {m: {c["version"]: c["comparable"] for c in cells if c["metric"] == m} for m in data["metrics"]}
            frame.attrs["notes"] = {m: {c["version"]: c["note"] for c in cells if c["metric"] == m} for m in data["metrics"]}
        frame.attrs["warnings"] = list(data["warnings"])
        return frame

    def pareto(
        self,
        x: Union[str, Mapping[str, Any]],
        y: Union[str, Mapping[str, Any]],
        scope: Optional[Mapping[str, Sequence[Any]]] = None,
    ):
        """Versions placed on two metrics and the Pareto frontier (``paretoFrontier``), as a DataFrame.

        ``x`` and ``y`` are metric keys or ``{"metric", "params", "direction"}`` (direction is
        required for NEUTRAL metrics: ``HIGHER_IS_BETTER`` or ``LOWER_IS_BETTER``). ``scope`` is
        ``{"datasets": [slugs], "versions": [versions]}`` (default: every version). One row per
        point: version (``slug@N``), version_id, x, y, on_frontier. ``df.attrs`` has
        ``x_direction``, ``y_direction`` and ``excluded`` (``[{"version", "reason"}]``).
        """
        pd = require_pandas("pareto()")

        def axis(a: Union[str, Mapping[str, Any]]) -> Dict[str, Any]:
            return {"metric": a} if isinstance(a, str) else {k: v for k, v in dict(a).items() if v is not None}

        data = self.graphql(
            "query($x: MetricAxisInput!, $y: MetricAxisInput!, $s: VersionScopeInput) {"
            " paretoFrontier(x: $x, y: $y, scope: $s) { xDirection yDirection"
            " points { x y onFrontier version { id version dataset { slug } } }"
            " excluded { reason version { version dataset { slug } } } } }",
            {"x": axis(x), "y": axis(y), "s": self._version_scope(scope)},
        )["paretoFrontier"]
        frame = pd.DataFrame(
            [
                {
                    "version": f"{p['version']['dataset']['slug']}@{p['version']['version']}",
                    "version_id": p["version"]["id"],
                    "x": p["x"],
                    "y": p["y"],
                    "on_frontier": p["onFrontier"],
                }
                for p in data["points"]
            ],
            columns=["version", "version_id", "x", "y", "on_frontier"],
        )
        frame.attrs["x_direction"] = data["xDirection"]
        frame.attrs["y_direction"] = data["yDirection"]
        frame.attrs["excluded"] = [
            {"version": f"{e['version']['dataset']['slug']}@{e['version']['version']}", "reason": e["reason"]}
            for e in data["excluded"]
        ]
        return frame

    def _version_scope(self, scope: Optional[Mapping[str, Sequence[Any]]]) -> Optional[Dict[str, Any]]:
        if scope is None:
            return None
        unknown = set(scope) - {"datasets", "versions"}
        if unknown:
            raise ValueError(f"scope keys are datasets and versions, not {sorted(unknown)}")
        out: Dict[str, Any] = {}
        if scope.get("datasets") is not None:
            out["datasets"] = list(scope["datasets"])
        if scope.get("versions") is not None:
            out["versions"] = [self._version_id(v) for v in scope["versions"]]
        return out

    # ------------------------------------------------------------------ lineage

    def lineage(
        self, version: VersionLike, direction: str = "UPSTREAM", depth: int = 3, max_nodes: int = 100
    ) -> Lineage:
        """The lineage graph around a version: ``nodes, edges = catalog.lineage(v)``.

        ``direction`` is ``UPSTREAM`` (inputs, default), ``DOWNSTREAM`` or ``BOTH``; ``depth`` 1 to
        10 hops; ``max_nodes`` 1 to 1000. See :class:`Lineage` for the node and edge fields; it has
        ``to_networkx()``, ``root`` and ``is_partial``.
        """
        vid = self._version_id(version)
        v = "id version dataset { slug }"
        data = self.graphql(
            "query($in: LineageInput!) { lineage(input: $in) { isPartial"
            f" root {{ {v} }} nodes {{ degree direction truncated version {{ {v} }} }}"
            f" edges {{ role from {{ {v} }} to {{ {v} }}"
            " run { id generatorModel params algorithm { key } } } } }",
            {"in": {"version": vid, "direction": direction.upper(), "depth": depth, "maxNodes": max_nodes}},
        )["lineage"]

        def ref(x: Dict[str, Any]) -> str:
            return f"{x['dataset']['slug']}@{x['version']}"

        root = data["root"]
        nodes = [
            {"ref": ref(root), "id": root["id"], "dataset": root["dataset"]["slug"], "version": root["version"],
             "degree": 0, "direction": None, "truncated": False}
        ]
        for n in data["nodes"]:
            nv = n["version"]
            nodes.append(
                {"ref": ref(nv), "id": nv["id"], "dataset": nv["dataset"]["slug"], "version": nv["version"],
                 "degree": n["degree"], "direction": n["direction"], "truncated": n["truncated"]}
            )
        edges = [
            {
                "source": ref(e["from"]),
                "target": ref(e["to"]),
                "source_id": e["from"]["id"],
                "target_id": e["to"]["id"],
                "role": e["role"],
                "run_id": e["run"]["id"],
                "algorithm": (e["run"]["algorithm"] or {}).get("key"),
                "generator_model": e["run"]["generatorModel"],
                "params": e["run"]["params"],
            }
            for e in data["edges"]
        ]
        return Lineage(nodes, edges, ref(root), data["isPartial"])

    def record_run(
        self,
        output: VersionLike,
        inputs: Sequence[Tuple[VersionLike, str]],
        *,
        algorithm: Optional[str] = None,
        generator_model: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        notes: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Records how ``output`` was generated: ``inputs`` as ``[(version, role), ...]`` with roles
        such as ``SEED``, ``SOURCE``, ``FILTERED_FROM``; returns the run (id, algorithm, model,
        params). A cycle or an unknown algorithm raises BadInputError; nothing is written then.
        """
        data = self.graphql(
            "mutation($in: RecordGenerationRunInput!) { recordGenerationRun(input: $in) {"
            " id generatorModel params notes algorithm { key } inputs { role version { id } } } }",
            {
                "in": {
                    k: val
                    for k, val in {
                        "output": self._version_id(output),
                        "inputs": [{"version": self._version_id(v), "role": role} for v, role in inputs],
                        "algorithm": algorithm,
                        "generatorModel": generator_model,
                        "params": dict(params) if params is not None else None,
                        "notes": notes,
                    }.items()
                    if val is not None
                }
            },
        )
        return data["recordGenerationRun"]

    # ------------------------------------------------------------------ embeddings

    def embed(
        self,
        version: VersionLike,
        space: Optional[str] = None,
        wait: bool = True,
        *,
        progress: ProgressArg = True,
        poll_interval: float = 0.5,
        timeout: Optional[float] = None,
    ) -> Job:
        """Gives every sample of a version a vector in an embedding space (``embedVersion``).

        ``space`` is ``model@revision:dtype`` (default: the server's default space). Returns the
        :class:`Job`: queued with ``wait=False``, else SUCCEEDED (errors as in :meth:`compute`).
        Resumable: samples that already have a vector are skipped.
        """
        data = self.graphql(
            f"mutation($v: ID!, $s: String) {{ embedVersion(version: $v, space: $s) {{ {_JOB_FIELDS} }} }}",
            {"v": self._version_id(version), "s": space},
        )
        job = Job.from_graphql(data["embedVersion"])
        if not wait:
            return job
        return self.wait(job, progress=progress, poll_interval=poll_interval, timeout=timeout)

    def search(
        self,
        query: str,
        k: int = 10,
        scope: Optional[Mapping[str, Any]] = None,
        *,
        space: Optional[str] = None,
        exact: Optional[bool] = None,
    ) -> RecordList:
        """Samples nearest to a text by cosine distance (``searchSamples``), nearest first.

        ``scope`` limits the search: ``{"datasets": [slugs], "versions": [versions],
        "descendants_of": version, "scores": [("quality.heuristic_quality", ">=", 1), ...]}``
        (score predicates may also be ``{"metric", "op", "value"}`` with op GT/GTE/LT/LTE).
        Returns a list of dicts (version, version_id, sample_id, ordinal, prompt, response,
        distance, similarity) with ``to_pandas()``; its ``space`` and ``exact`` attributes say
        where and how it searched. Versions must be embedded first (:meth:`embed`).
        """
        data = self.graphql(
            "query($q: String!, $k: Int, $s: SampleSearchScope, $space: String, $exact: Boolean) {"
            " searchSamples(query: $q, k: $k, scope: $s, space: $space, exact: $exact) { exact space { key }"
            " hits { distance similarity sample { id ordinal prompt response } version { id version dataset { slug } } } } }",
            {"q": query, "k": k, "s": self._search_scope(scope), "space": space, "exact": exact},
        )["searchSamples"]
        out = RecordList(
            {
                "version": f"{h['version']['dataset']['slug']}@{h['version']['version']}",
                "version_id": h["version"]["id"],
                "sample_id": h["sample"]["id"],
                "ordinal": h["sample"]["ordinal"],
                "prompt": h["sample"]["prompt"],
                "response": h["sample"]["response"],
                "distance": h["distance"],
                "similarity": h["similarity"],
            }
            for h in data["hits"]
        )
        out.space = data["space"]["key"]
        out.exact = data["exact"]
        return out

    def _search_scope(self, scope: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
        if scope is None:
            return None
        unknown = set(scope) - {"datasets", "versions", "descendants_of", "scores"}
        if unknown:
            raise ValueError(f"scope keys are datasets, versions, descendants_of and scores, not {sorted(unknown)}")
        out: Dict[str, Any] = {}
        if scope.get("datasets") is not None:
            out["datasets"] = [self.dataset(slug).id for slug in scope["datasets"]]
        if scope.get("versions") is not None:
            out["versions"] = [self._version_id(v) for v in scope["versions"]]
        if scope.get("descendants_of") is not None:
            out["descendantsOf"] = self._version_id(scope["descendants_of"])
        if scope.get("scores") is not None:
            predicates = []
            for p in scope["scores"]:
                metric, op, value = (p["metric"], p["op"], p["value"]) if isinstance(p, Mapping) else p
                if op not in _OPS:
                    raise ValueError(f"score predicate op {op!r} is not one of >, >=, <, <= (or GT, GTE, LT, LTE)")
                predicates.append({"metric": metric, "op": _OPS[op], "value": value})
            out["scores"] = predicates
        return out


# ---------------------------------------------------------------------- helpers


def _nan(value: Optional[float]) -> float:
    return math.nan if value is None else value


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_json") and hasattr(obj, "iloc")


def _chunks(lines: Iterable[str]) -> Iterator[bytes]:
    """Joins text lines into newline-terminated UTF-8 chunks of about 1 MiB."""
    buf: List[str] = []
    size = 0
    for line in lines:
        buf.append(line)
        size += len(line) + 1
        if size >= _CHUNK_BYTES:
            yield ("\n".join(buf) + "\n").encode("utf-8")
            buf, size = [], 0
    if buf:
        yield ("\n".join(buf) + "\n").encode("utf-8")


def _record_chunks(items: Iterable[Any]) -> Iterator[bytes]:
    def lines() -> Iterator[str]:
        for i, record in enumerate(items):
            try:
                yield json.dumps(record, allow_nan=False, ensure_ascii=False)
            except (TypeError, ValueError) as error:
                raise ValueError(f"record {i} cannot be sent as JSON: {error}") from error

    return _chunks(lines())


def _dataframe_chunks(frame: Any, rows: int = 5000) -> Iterator[bytes]:
    """A DataFrame as JSONL in slices (NaN becomes null), so a large frame is never one string."""
    for start in range(0, len(frame), rows):
        text = frame.iloc[start : start + rows].to_json(orient="records", lines=True, force_ascii=False)
        yield (text if text.endswith("\n") else text + "\n").encode("utf-8")


def _score_records(scores: Any) -> Iterator[Dict[str, Any]]:
    """Normalises the forms push_scores takes to ``{"ordinal"|"sample": ..., "value": float}``."""

    def value_of(where: str, v: Any) -> float:
        try:
            f = float(v)
        except (TypeError, ValueError) as error:
            raise ValueError(f"score {where} is not a number: {v!r}") from error
        if not math.isfinite(f):
            raise ValueError(f"score {where} is {f}: scores must be finite (drop missing scores first, e.g. .dropna())")
        return f

    def ordinal_of(o: Any) -> int:
        if isinstance(o, bool) or int(o) != o:
            raise ValueError(f"ordinal {o!r} is not an integer")
        return int(o)

    kind = type(scores).__name__
    if kind == "Series":
        for o, v in scores.items():
            yield {"ordinal": ordinal_of(o), "value": value_of(f"for ordinal {o}", v)}
    elif _is_dataframe(scores):
        if "value" not in scores.columns:
            raise ValueError("a scores DataFrame needs a 'value' column (and 'ordinal' or 'sample', else the index)")
        if "sample" in scores.columns:
            for s, v in zip(scores["sample"], scores["value"]):
                yield {"sample": str(s), "value": value_of(f"for sample {s}", v)}
        else:
            ordinals = scores["ordinal"] if "ordinal" in scores.columns else scores.index
            for o, v in zip(ordinals, scores["value"]):
                yield {"ordinal": ordinal_of(o), "value": value_of(f"for ordinal {o}", v)}
    elif isinstance(scores, Mapping):
        for o, v in scores.items():
            yield {"ordinal": ordinal_of(o), "value": value_of(f"for ordinal {o}", v)}
    elif isinstance(scores, Iterable) and not isinstance(scores, (str, bytes)):
        for o, v in enumerate(scores):
            yield {"ordinal": o, "value": value_of(f"for ordinal {o}", v)}
    else:
        raise TypeError(f"push_scores() takes a Series, DataFrame, dict or sequence of values, not {kind}")


def _progress_bar(progress: ProgressArg, label: str):
    if progress is not True:
        return None
    try:
        # tqdm.auto draws a widget in Jupyter, but warns and falls back without ipywidgets.
        import ipywidgets  # noqa: F401, PLC0415

        from tqdm.auto import tqdm  # noqa: PLC0415
    except ImportError:
        try:
            from tqdm import tqdm  # noqa: PLC0415
        except ImportError:
            return None
    return tqdm(total=None, desc=label, unit="it")


__all__ = ["Catalog", "SampleStream"]
