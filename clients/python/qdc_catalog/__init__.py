"""qdc_catalog: a Python client for the qdc-catalog server.

    from qdc_catalog import Catalog
    cat = Catalog("http://127.0.0.1:4000")
    cat.create_dataset("gsm8k", "GSM8K", task="math-reasoning")
    cat.ingest("gsm8k/train.jsonl", dataset="gsm8k")
    df = cat.samples("gsm8k@1", scores=["complexity.length"]).to_pandas()
"""
from .client import Catalog, SampleStream
from .errors import (
    AuthenticationError,
    BadInputError,
    BadRequestError,
    ForbiddenError,
    GraphQLError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PayloadTooLargeError,
    QdcError,
    ServerError,
    TransportError,
    UnsupportedMediaTypeError,
)
from .types import Dataset, IngestResult, Job, Lineage, RecordList, ScoresPushed, Version

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BadInputError",
    "BadRequestError",
    "Catalog",
    "Dataset",
    "ForbiddenError",
    "GraphQLError",
    "IngestResult",
    "Job",
    "JobCancelledError",
    "JobFailedError",
    "JobTimeoutError",
    "Lineage",
    "NotFoundError",
    "PayloadTooLargeError",
    "QdcError",
    "RecordList",
    "SampleStream",
    "ScoresPushed",
    "ServerError",
    "TransportError",
    "UnsupportedMediaTypeError",
    "Version",
]
