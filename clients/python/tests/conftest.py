"""One real ``qdc serve`` for the whole session (PGlite, or PostgreSQL when DATABASE_URL is set)."""
from __future__ import annotations

import itertools
import os
import re
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from qdc_catalog import Catalog  # noqa: E402
from qdc_server import QdcServer  # noqa: E402

_counter = itertools.count()


@pytest.fixture(scope="session")
def server():
    running = QdcServer()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def catalog(server) -> Catalog:
    return Catalog(server.url, api_key=server.api_key)


@pytest.fixture(scope="session")
def gql(server):
    """Raw GraphQL with requests, independent of the client: returns the whole response body."""

    def run(query, variables=None):
        r = requests.post(
            f"{server.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {server.api_key}"},
            timeout=60,
        )
        return r.json()

    return run


@pytest.fixture
def slug(request) -> str:
    """A fresh dataset slug per test."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    return f"{name}-{os.getpid()}-{next(_counter)}"
