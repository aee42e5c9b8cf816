"""Waiting on jobs that never run: a server without in-process workers (QDC_WORKERS=0), so the
job stays QUEUED and the timeout and cancel paths are deterministic."""
from __future__ import annotations

import pytest

from qdc_catalog import Catalog, JobCancelledError, JobTimeoutError, NotFoundError
from qdc_server import QdcServer


@pytest.fixture(scope="module")
def idle():
    server = QdcServer(env={"QDC_WORKERS": "0"})
    try:
        yield Catalog(server.url, api_key=server.api_key)
    finally:
        server.stop()


def test_a_job_nobody_runs_times_out_then_cancels(idle):
    v = idle.ingest([{"prompt": "a b c", "response": "d e"}], dataset="idle-jobs", create=True).version
    job = idle.compute(v, ["complexity.length"], wait=False)
    assert job.status == "QUEUED"
    with pytest.raises(JobTimeoutError) as info:
        idle.wait(job, timeout=0.3, poll_interval=0.1, progress=False)
    assert info.value.code == "JOB_TIMEOUT" and info.value.job.status == "QUEUED"
    assert idle.job(job.id).status == "QUEUED"  # waiting gave up; the job did not
    cancelled = idle.cancel(job)
    assert cancelled.status == "CANCELLED"
    with pytest.raises(JobCancelledError) as info:
        idle.wait(job, progress=False)
    assert info.value.job.status == "CANCELLED"
    with pytest.raises(JobCancelledError):
        idle.compute(v, ["complexity.length"], timeout=None, progress=lambda j: idle.cancel(j))
    with pytest.raises(NotFoundError):
        idle.cancel("Sm9iOjk5OTk5")
