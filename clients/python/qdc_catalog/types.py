"""Plain records the client returns: datasets, versions, jobs, lineage, lists with ``to_pandas()``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional


def require_pandas(what: str):
    """Imports pandas, or raises ImportError saying which call needs it."""
    try:
        import pandas  # noqa: PLC0415
    except ImportError as error:  # pragma: no cover - pandas is installed where tests run
        raise ImportError(
            f"{what} needs pandas: install it (pip install pandas, or apt install python3-pandas)"
        ) from error
    return pandas


class RecordList(list):
    """A list of records (dataclasses or dicts) that also converts itself to a DataFrame."""

    def to_pandas(self):
        """One row per record, one column per field. Needs pandas."""
        pd = require_pandas("to_pandas()")
        rows = [asdict(r) if hasattr(r, "__dataclass_fields__") else dict(r) for r in self]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Dataset:
    """A dataset: its descriptive fields and the number of its newest version (None if none)."""

    id: str
    slug: str
    name: str
    description: Optional[str]
    task: Optional[str]
    domain: Optional[str]
    license: Optional[str]
    source_uri: Optional[str]
    tags: List[str]
    card: Any
    created_at: str
    updated_at: str
    latest_version: Optional[int]
    latest_version_id: Optional[str]

    @classmethod
    def from_graphql(cls, d: Dict[str, Any]) -> "Dataset":
        latest = d.get("latestVersion")
        return cls(
            id=d["id"],
            slug=d["slug"],
            name=d["name"],
            description=d.get("description"),
            task=d.get("task"),
            domain=d.get("domain"),
            license=d.get("license"),
            source_uri=d.get("sourceUri"),
            tags=list(d.get("tags") or []),
            card=d.get("card"),
            created_at=d["createdAt"],
            updated_at=d["updatedAt"],
            latest_version=latest["version"] if latest else None,
            latest_version_id=latest["id"] if latest else None,
        )


@dataclass(frozen=True)
class Version:
    """An immutable dataset version. ``ref`` is ``"slug@N"``; ``id`` is the opaque global id."""

    id: str
    dataset: str
    version: int
    content_hash: str
    sample_count: int
    byte_size: float
    status: str
    created_at: str

    @property
    def ref(self) -> str:
        """``"<dataset slug>@<version number>"``, the form every call accepts besides the id."""
        return f"{self.dataset}@{self.version}"

    @classmethod
    def from_graphql(cls, d: Dict[str, Any]) -> "Version":
        return cls(
            id=d["id"],
            dataset=d["dataset"]["slug"],
            version=d["version"],
            content_hash=d["contentHash"],
            sample_count=d["sampleCount"],
            byte_size=d["byteSize"],
            status=d["status"],
            created_at=d["createdAt"],
        )


@dataclass(frozen=True)
class IngestResult:
    """What a bulk ingest did: the version (new or existing), counts and the refused records."""

    created: bool
    version: Version
    format: str
    container: str
    records: int
    ingested: int
    rejected: int
    rejections: List[Dict[str, Any]]
    duplicate_samples: int
    duplicates: List[Dict[str, Any]]
    input_bytes: int

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "IngestResult":
        v = d["version"]
        return cls(
            created=d["created"],
            version=Version(
                id=v["id"],
                dataset=v["dataset"],
                version=v["version"],
                content_hash=v["contentHash"],
                sample_count=v["sampleCount"],
                byte_size=v["byteSize"],
                status="READY",
                created_at=v["createdAt"],
            ),
            format=d.get("format"),
            container=d.get("container"),
            records=d.get("records"),
            ingested=d.get("ingested"),
            rejected=d.get("rejected"),
            rejections=list(d.get("rejections") or []),
            duplicate_samples=d.get("duplicateSamples"),
            duplicates=list(d.get("duplicates") or []),
            input_bytes=d.get("inputBytes"),
        )


@dataclass(frozen=True)
class Job:
    """A server-side job (metrics, embedding): its state, progress and, once ended, its result."""

    id: str
    kind: str
    status: str
    progress: Dict[str, Any]
    error: Optional[str]
    result: Any
    payload: Any
    metric_results: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """True once the job is SUCCEEDED, FAILED or CANCELLED."""
        return self.status in ("SUCCEEDED", "FAILED", "CANCELLED")

    @classmethod
    def from_graphql(cls, d: Dict[str, Any]) -> "Job":
        return cls(
            id=d["id"],
            kind=d["kind"],
            status=d["status"],
            progress=dict(d.get("progress") or {}),
            error=d.get("error"),
            result=d.get("result"),
            payload=d.get("payload"),
            metric_results=list(d.get("metricResults") or []),
        )


@dataclass(frozen=True)
class ScoresPushed:
    """What ``push_scores`` stored: how many scores, and the aggregate result they now make up."""

    recorded: int
    result: Dict[str, Any]


class Lineage(tuple):
    """``(nodes, edges)`` of a lineage walk; unpack it or use ``to_networkx()``.

    ``nodes`` starts with the root (``degree`` 0, ``direction`` None), then the versions reached,
    nearest first. Each node is a dict with ``ref`` (``slug@N``), ``id``, ``dataset``,
    ``version``, ``degree``, ``direction`` and ``truncated``. Each edge is a dict with
    ``source``/``target`` (refs; ``source`` was an input of the run that made ``target``),
    ``source_id``/``target_id``, ``role``, ``run_id``, ``algorithm``, ``generator_model`` and
    ``params``. ``root`` is the root's ref; ``is_partial`` says whether the bounds cut the walk.
    """

    def __new__(cls, nodes: List[Dict[str, Any]], edges: List[Dict[str, Any]], root: str, is_partial: bool):
        self = super().__new__(cls, (RecordList(nodes), RecordList(edges)))
        self.root = root
        self.is_partial = is_partial
        return self

    @property
    def nodes(self) -> RecordList:
        """The versions, root first."""
        return self[0]

    @property
    def edges(self) -> RecordList:
        """The typed input edges."""
        return self[1]

    def to_networkx(self):
        """A ``networkx.MultiDiGraph``: nodes keyed by ref, one edge per run input keyed by role."""
        try:
            import networkx as nx  # noqa: PLC0415
        except ImportError as error:  # pragma: no cover
            raise ImportError("to_networkx() needs networkx (pip install networkx)") from error
        graph = nx.MultiDiGraph(root=self.root, is_partial=self.is_partial)
        for node in self.nodes:
            graph.add_node(node["ref"], **{k: v for k, v in node.items() if k != "ref"})
        for edge in self.edges:
            attrs = {k: v for k, v in edge.items() if k not in ("source", "target")}
            graph.add_edge(edge["source"], edge["target"], key=edge["role"], **attrs)
        return graph


def records(items: Iterable[Any]) -> RecordList:
    """Wraps any iterable in a RecordList."""
    return RecordList(items)
